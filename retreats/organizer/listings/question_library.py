"""Ready questions an organizer adds to a retreat in one click (the listing editor's library).

Each is what the question editor's form would hold (question_editor.QuestionDetails), under a
`key` that names it in the add button's address. Anything about a person's body, relationships,
inner life or who to call in an emergency is private (DESIGN.md rules 6 and 11); what the kitchen
or the schedule needs is ordinary. The organizer can change any of them once added.
"""

from __future__ import annotations

from retreats.listings.questions import AskedOf, Privacy, QuestionKind

CODE_OF_CONDUCT = (
    "I will respect every participant's boundaries: I ask before touching anyone, "
    "and a no, a pause or a silence means no.\n"
    "I keep what others share during the retreat confidential.\n"
    "I come sober to every session and follow the facilitators' guidance.\n"
    "I take responsibility for my own wellbeing and tell a facilitator if something does not "
    "feel right, for me or for someone else.\n"
    "I understand that the facilitators may ask me to leave if I break this code, "
    "without a refund."
)

LIBRARY: list[dict] = [
    {
        "key": "relationship-status",
        "label": "Relationship status",
        "kind": QuestionKind.SINGLE_CHOICE,
        "help_text": "It helps the facilitators prepare the exercises; it is kept private.",
        "options": [
            "Single",
            "Dating",
            "In a relationship",
            "Married or in a civil partnership",
            "In an open or polyamorous relationship",
            "It's complicated",
            "I'd rather not say",
        ],
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "experience",
        "label": "Previous experience with this kind of work",
        "kind": QuestionKind.SINGLE_CHOICE,
        "help_text": "Workshops, retreats, therapy or practices close to this one.",
        "options": ["None", "Some", "A lot"],
        "privacy": Privacy.ORDINARY,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "health",
        "label": "Health the facilitators should know about",
        "kind": QuestionKind.LONG_TEXT,
        "help_text": (
            "Physical or mental health conditions, medication, injuries, pregnancy: "
            "anything that helps us keep you safe. Only the facilitators read it."
        ),
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "boundaries",
        "label": "Your boundaries",
        "kind": QuestionKind.LONG_TEXT,
        "help_text": (
            "Touch, topics or exercises you do not want, or want to approach slowly. "
            "You can change your mind at any time during the retreat."
        ),
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "code-of-conduct",
        "label": "Code of conduct",
        "kind": QuestionKind.CONSENT,
        "help_text": "Everyone who comes agrees to it.",
        "consent_text": CODE_OF_CONDUCT,
        "required": True,
        "privacy": Privacy.ORDINARY,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "dietary-needs",
        "label": "Dietary needs",
        "kind": QuestionKind.LONG_TEXT,
        "help_text": "Allergies, intolerances or what you do not eat.",
        "privacy": Privacy.ORDINARY,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "accessibility",
        "label": "Accessibility needs",
        "kind": QuestionKind.LONG_TEXT,
        "help_text": "Mobility, hearing, sight or anything else we can arrange for you.",
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "emergency-contact",
        "label": "Emergency contact",
        "kind": QuestionKind.SHORT_TEXT,
        "help_text": "A name and a phone number we can call if something happens to you.",
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
    {
        "key": "hopes",
        "label": "What do you hope for from this time?",
        "kind": QuestionKind.LONG_TEXT,
        "help_text": "Seen only by the facilitators.",
        "privacy": Privacy.PRIVATE,
        "asked_of": AskedOf.PERSON,
    },
]

BY_KEY: dict[str, dict] = {entry["key"]: entry for entry in LIBRARY}

# What a new retreat asks before its organizer changes anything: the four questions every booking
# form asked before questions were the organizer's (migrations/versions/0015_intake_questions.py
# gave them, as these, to every retreat listed before). All optional; the organizer can edit,
# require or remove each.
STARTING_KEYS = ("dietary-needs", "accessibility", "emergency-contact", "hopes")
