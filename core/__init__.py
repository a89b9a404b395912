"""A small shared package under the apps (not an app: no models, importing none of them): what every
app does the same way. `calendar` (months, quarters, due and lock dates), `numbers` (percentages),
`problems` (the shape of a refusal), `disclosure` (the small-count rule), `figures` (charts, tables
and CSV), `api` (the API's base, paging, refusals and exception handler), `ids` (ids read from
requests) and `jobs` (queueing a Celery task by name)."""
