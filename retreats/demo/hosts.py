"""The demo organizer's profile, facilitators and venue, so `make run` shows an organizer's page
(/o/<slug>), the facilitators on retreat pages and a venue with its address."""

from __future__ import annotations

from retreats.listings.hosts import Facilitator, Venue
from retreats.listings.models import Retreat

DEMO_ABOUT = (
    "We are a small team of facilitators who have held retreats for couples and for people on "
    "their own since 2014: **slow days, clear agreements, and room to rest**. Every retreat has "
    "a code of conduct, trauma-informed leads and a quiet room."
)
FACILITATORS = (
    ("Inês Carvalho", "Couples therapist and somatic educator; leads our Sintra weekends."),
    ("Tomás Reyes", "Breathwork and meditation teacher, twenty years of silent retreats."),
)
# The demo's Sintra retreat happens here (demo/listings.py, venue "Quinta da Serra Verde").
VENUE_NAME = "Quinta da Serra Verde"
VENUE_ADDRESS = "Estrada da Peninha 4, 2705-001 Colares, Sintra, Portugal"
VENUE_DESCRIPTION = (
    "A quiet farmhouse in the hills above the sea, with **twelve rooms**, a wooden hall for "
    "practice and a garden of cork oaks. Twenty minutes from Sintra station by taxi."
)


def add_demo_hosts(organizer, retreats: list[Retreat]) -> None:
    """The organizer's about text, two facilitators leading every demo listing, and the venue
    of the listings held there."""
    organizer.about_md = DEMO_ABOUT
    facilitators = [
        Facilitator(organizer_id=organizer.id, name=name, bio=bio) for name, bio in FACILITATORS
    ]
    venue = Venue(
        organizer_id=organizer.id,
        name=VENUE_NAME,
        address=VENUE_ADDRESS,
        description_md=VENUE_DESCRIPTION,
    )
    for retreat in retreats:
        retreat.facilitators.extend(facilitators)
        if retreat.venue == VENUE_NAME:
            retreat.venue_details = venue
