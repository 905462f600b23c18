"""The contractor pages, mounted at /contractor/ (namespace "contractor"), and the staff
scorecard of contractor companies."""

from django.urls import path

from contractors.views import incidents, jobs, photos, scorecard, team, visit

app_name = "contractor"

job = "jobs/<int:pk>/"

urlpatterns = [
    path("", jobs.jobs, name="jobs"),
    path(job, jobs.job, name="job"),
    path(job + "on-the-way/", visit.on_the_way, name="job_on_the_way"),
    path(job + "start/", visit.start, name="job_start"),
    path(job + "cancel/", visit.cancel, name="job_cancel"),
    path(job + "outcome/", visit.outcome, name="job_outcome"),
    path(job + "prerequisites/<int:prerequisite_pk>/done/", visit.prerequisite_done, name="prerequisite_done"),
    path(job + "promises/", visit.promise, name="job_promise"),
    path(job + "damage/", incidents.incident_new, name="incident_new"),
    path("damage/<int:pk>/", incidents.incident, name="incident"),
    path("damage/<int:pk>/correct/", incidents.incident_correct, name="incident_correct"),
    path("photos/<int:pk>/", photos.photo, name="photo"),
    path("team/", team.team, name="team"),
    path("invitation/<uidb64>/<token>/", team.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("scorecard/", scorecard.scorecard, name="scorecard"),
]
