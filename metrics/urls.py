from metrics.views import outcomes, reminders, reports, uploads

app_name = "metrics"

urlpatterns = [
    # Reports: the partner's months, the form, a report's versions and history, backbone review,
    # completeness (metrics/views/reports.py)
    *reports.urlpatterns,
    # Uploads: CSV template, DPRP files, preview, progress (metrics/views/uploads.py)
    *uploads.urlpatterns,
    # Reminder settings (metrics/views/reminders.py)
    *reminders.urlpatterns,
    # Program outcomes: a partner's, a network's and a state's (metrics/views/outcomes.py)
    *outcomes.urlpatterns,
]
