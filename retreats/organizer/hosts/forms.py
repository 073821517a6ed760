"""Forms of the organizer's profile, facilitators, venues and a retreat's hosts. A picture is
checked (decoded, cleaned, re-encoded) while the form validates; nothing is written until the
service commits."""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    FileField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from retreats.base.stored_files import PreparedUpload, UploadRejected, prepare_cover_image
from retreats.organizer.form_fields import ChoiceBoxes, stripped

MOST_VENUE_PHOTOS = 12


def _chosen_files(field) -> list[FileStorage]:
    data = field.data if isinstance(field.data, list) else [field.data]
    return [item for item in data if isinstance(item, FileStorage) and item.filename]


def _prepared_pictures(field) -> list[PreparedUpload]:
    """Each chosen file checked as a picture; the first that is not one fails the field."""
    try:
        return [prepare_cover_image(upload.stream) for upload in _chosen_files(field)]
    except UploadRejected as error:
        raise ValidationError(error.message) from error


class PhotoForm(FlaskForm):
    """A form with one optional photo and a box to remove the current one."""

    photo = FileField("Photo")
    remove_photo = BooleanField("Remove the photo")
    prepared_photo: PreparedUpload | None = None

    def validate_photo(self, field) -> None:
        pictures = _prepared_pictures(field)
        self.prepared_photo = pictures[0] if pictures else None


class ProfileForm(PhotoForm):
    about_md = TextAreaField("About you", filters=[stripped], validators=[Length(max=20_000)])
    save = SubmitField("Save the profile")


class FacilitatorForm(PhotoForm):
    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=200)])
    bio = TextAreaField("Short bio", filters=[stripped], validators=[Length(max=1000)])
    save = SubmitField("Save")


class VenueForm(FlaskForm):
    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=200)])
    address = TextAreaField("Address", filters=[stripped], validators=[Length(max=500)])
    description_md = TextAreaField(
        "Description", filters=[stripped], validators=[Length(max=20_000)]
    )
    new_photos = MultipleFileField("Add photos")
    remove_photos = ChoiceBoxes("Remove these photos", invalid_message="Please tick photos shown.")
    save = SubmitField("Save")
    prepared_photos: list[PreparedUpload] = []

    def __init__(self, *args, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.remove_photos.choices = [
            SelectChoice(photo.id, f"Photo {n}") for n, photo in enumerate(photos, 1)
        ]
        self.kept_photos = len(photos)

    def validate_new_photos(self, field) -> None:
        if len(_chosen_files(field)) + self.kept_photos > MOST_VENUE_PHOTOS:
            raise ValidationError(f"A venue shows at most {MOST_VENUE_PHOTOS} photos.")
        self.prepared_photos = _prepared_pictures(field)


class RetreatHostsForm(FlaskForm):
    facilitators = ChoiceBoxes(
        "Facilitators", invalid_message="Please choose among your facilitators."
    )
    venue = SelectField("Venue", coerce=int, validators=[Optional()])
    save = SubmitField("Save")

    def __init__(self, *args, facilitators=(), venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.facilitators.choices = [
            SelectChoice(person.id, person.name) for person in facilitators
        ]
        self.venue.choices = [SelectChoice(0, "No venue record (the free-text place only)")] + [
            SelectChoice(venue.id, venue.name) for venue in venues
        ]
