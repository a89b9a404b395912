from django.urls import path

from scorecard import views

app_name = "scorecard"

urlpatterns = [
    # Backbone staff: the story, a preview, on and off
    path("networks/<slug:slug>/scorecard/", views.scorecard_edit, name="edit"),
    path("networks/<slug:slug>/scorecard/preview/", views.scorecard_preview, name="preview"),
    path("networks/<slug:slug>/scorecard/publish/", views.scorecard_publish, name="publish"),
    path("networks/<slug:slug>/scorecard/unpublish/", views.scorecard_unpublish, name="unpublish"),
    # Anyone, signed in or not, while it is switched on
    path("public/<slug:slug>/", views.public_scorecard, name="public"),
    path("public/<slug:slug>/embed/", views.public_scorecard_embed, name="embed"),
]
