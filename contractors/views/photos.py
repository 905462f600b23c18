"""Photos of visits and damage, served only through the policy: never from a public media URL."""

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed

from contractors import selectors


def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Whoever may see the job may see its photos: the company's users (and a company it is
    shared with) and staff. Everyone else gets a 404, as for a photo that does not exist."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = selectors.photo_for(request.user, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    # The type recorded at upload (read from the file's first bytes), never guessed again.
    response = FileResponse(
        found.file.open("rb"), content_type=found.content_type, as_attachment=False, filename=found.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
