"""The daily manager report: figures (SQL through `db`), rendering, e-mail, delivery.

- `reports.figures`: one campaign's figures for one local day, and the campaign so far,
  every one an aggregate computed by the database.
- `reports.render`: the same figures as JSON, plain text, HTML and CSV.
- `reports.chart`: calls by hour and reports by category as a PNG (matplotlib, Agg).
- `reports.mail`: the e-mail (HTML + text + inline chart + CSV attachment) and SMTP.
- `reports.delivery`: once-per-day delivery through the `daily_reports` row, retries.
"""
