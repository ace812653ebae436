"""Every top-level variable a report template may use, with its Chinese description and kind: the
contract between build_context (which provides exactly these keys), custom templates (checked against
them) and the page's variable reference."""

from __future__ import annotations

# Every top-level variable of the context: (说明, 类型). Lists of paragraphs hold {text, heading}.
VARIABLES: dict[str, tuple[str, str]] = {
    "unit_name": ("单位名称", "文字"),
    "year": ("报告年度", "数字"),
    "next_year": ("下一年度", "数字"),
    "outline_name": ("适用的法治政府建设实施纲要", "文字"),
    "title": ("报告标题（含单位名称）", "文字"),
    "title_lines": ("标题分行（标题较长时在“关于”前换行）", "文字列表"),
    "recipient": ("主送机关，如“区委、区政府：”", "文字"),
    "headings": ("五个一级标题：measures、duty、shortcomings、plan、other", "文字表"),
    "opening": ("开头段", "段落列表（每段有 text、heading）"),
    "measures": ("“一”的各小节：heading（含序号）和 paragraphs", "小节列表"),
    "duty": ("二、第一责任人履职情况", "段落列表"),
    "shortcomings": ("三、存在的不足和原因", "段落列表"),
    "plan": ("四、下一年工作安排", "段落列表"),
    "other": ("五、其他需要报告的情况（未填写时为空）", "段落列表"),
    "attachments": ("附件说明中的附件名称", "文字列表"),
    "issuer": ("落款单位", "文字"),
    "date": ("成文日期，如“2021年1月15日”", "文字"),
    "table_label": ("指标表的附件标识，如“附件1”", "文字"),
    "table_title": ("指标表标题", "文字"),
    "table_note": ("指标表的注", "文字"),
    "indicator_rows": ("主要指标：no、name、target、value、completion、change", "行列表"),
    "units_label": ("区县报告中各乡镇（街道）表的附件标识，如“附件2”", "文字"),
    "units_title": ("各乡镇（街道）表的标题", "文字"),
    "units_header": ("各乡镇（街道）表中四个指标列的列名", "文字列表"),
    "unit_rows": ("各乡镇（街道）：no、name、c1、c2、c3、c4（区县报告才有）", "行列表"),
    "units_note": ("各乡镇（街道）表的注", "文字"),
    "charts_label": ("图表的附件标识，如“附件2”", "文字"),
    "charts_title": ("图表附件标题", "文字"),
    "charts": ("图表：image（图片）、caption（图题）", "图表列表"),
    "charts_problem": ("图表未能生成的原因（正常时为空）", "文字"),
    "sections": (
        "可编辑的各节：key、title、heading、draft、text、saved、saved_by、saved_at、required、figures、stale、placeholders",
        "小节列表",
    ),
    "placeholders": ("报告中还没填写的“【请填写：……】”", "文字列表"),
    "warnings": ("下载前的提示（记录太少、待填写的节）", "文字列表"),
    "stale": ("已保存文字中已经变化的数字：section、old、new", "行列表"),
}
