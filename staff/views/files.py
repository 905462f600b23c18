"""Message attachments for staff, served through the policy: never from a public media URL."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from cases import selectors
from staff.views.access import staff_page


@require_safe
@staff_page
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.attachment_for_staff(request.user, pk)
    # Photos and PDFs open in the browser; anything else is downloaded. The type is the one
    # read from the file's first bytes at upload, never guessed again.
    inline = found.content_type.startswith("image/") or found.content_type == "application/pdf"
    response = FileResponse(
        found.file.open("rb"), content_type=found.content_type, as_attachment=not inline, filename=found.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_safe
@staff_page
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF letter a customer who prefers the post is owed, for the owner to print and post."""
    found = selectors.letter_for_staff(request.user, pk)
    response = FileResponse(
        found.letter.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{found.case.reference}-letter-{found.pk}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
