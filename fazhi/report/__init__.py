"""The annual report 《关于20XX年法治政府建设情况的报告》: drafts from recorded data, the GB/T 9704 template,
rendering to Word (and PDF), charts.

Two steps, as everywhere in fazhi: `context.build_context` computes and formats everything (pure data),
`render.render` fills a docxtpl template with it (autoescaped, strict about unknown variables).
"""
