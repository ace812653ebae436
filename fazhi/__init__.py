"""法治政府建设工作台: records, indicators and the annual report for township and county offices."""

__version__ = "0.1.0"
