"""Demo workshops as plain data: single-day, evening and online sessions (shapes: listings.py)."""

from __future__ import annotations

from calendar import SATURDAY, SUNDAY, THURSDAY, TUESDAY, WEDNESDAY
from datetime import time

from retreats.demo.listings import DemoGuest, DemoListing, DemoTicket
from retreats.listings.models import Audience, Focus, RetreatKind, RetreatStatus

EMOTIONAL_INTIMACY_WORKSHOP = DemoListing(
    slug="emotional-intimacy-workshop-berlin",
    title="Opening Up: An Emotional Intimacy Workshop",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.EMOTIONAL,
    audience=Audience.EVERYONE,
    timezone="Europe/Berlin",
    currency="EUR",
    capacity=20,
    days_ahead=48,
    weekday=SATURDAY,
    starts=time(10, 0),
    days_long=0,
    ends=time(17, 0),
    venue="Atelier Lichtblick",
    city="Berlin",
    country="Germany",
    summary=(
        "A one-day workshop in Kreuzberg on the skills behind feeling close: naming what you "
        "feel, listening well and staying kind when a conversation gets hard."
    ),
    description_md="""\
Emotional intimacy is less about grand gestures than about small, repeatable skills. In this \
one-day workshop we practise them in pairs and small groups: naming feelings precisely, asking \
open questions, listening without rushing to advise, and repairing after a misunderstanding.

**Who it is for.** Couples, friends and people coming alone. Solo participants practise with \
other solo participants, and everyone can change partner between exercises.

**Your facilitator.** Sophie Hartmann, a systemic counsellor who teaches communication skills to \
couples and to hospital teams.

**Schedule**
- 10:00 Welcome and the feelings vocabulary
- 11:30 Listening practice in pairs
- 13:00 Lunch (included, vegetarian)
- 14:00 Hard conversations and repair
- 16:15 Closing circle, finishing at 17:00

**What it is not.** Not therapy, and not a place to work through a crisis. Nothing personal has to \
be shared with the group.
""",
    refund_rules=(14, 7, 50),
    cancellation_policy="",
    preparation_guide_md="""\
**What to bring**
- Comfortable clothes and a water bottle
- A notebook and pen
- Let us know about dietary needs when you book; lunch is vegetarian with vegan options

**Arrival**
Doors open at 09:30 and we start at 10:00 sharp. The studio is on the second floor of the rear \
courtyard building, three minutes from U-Bahn Görlitzer Bahnhof (U1). There is no parking on \
site; bicycle racks are in the courtyard. Ring the bell marked "Studio Weit".

**A reflection exercise**
On three different days before the workshop, stop once and write down in one sentence what you \
are feeling and what prompted it. Notice how easy or hard it is to find the word.

**Questions to bring along**
In the afternoon you work in pairs with questions that go a little deeper each round. Read \
them beforehand and notice which one you would rather skip; that one is often worth a thought.
- What is something you find easy to say to others but hard to hear yourself?
- When did you last cry, and who knew about it?
- What does it feel like in your body when you are not being listened to?
- Who in your life do you owe a thank-you you have not said?

**A gratitude ritual**
We close the day with each person naming, in one sentence, something they received from \
another participant that day. Come ready to be specific; it is a short and warm way to end.

**Code of conduct**
Every exercise is optional and you can pass without explaining. What others share stays in the \
room. Please ask before offering touch of any kind, even a hug.
""",
    tickets=(
        DemoTicket(
            name="Individual",
            description="One place, lunch and refreshments included.",
            price_minor=12000,
        ),
        DemoTicket(
            name="Couple (2 people)",
            description="Two places for you and a partner or friend, lunch included.",
            price_minor=22000,
            seats_per_ticket=2,
        ),
    ),
)

LOVE_MAPPING_EVENING = DemoListing(
    slug="love-mapping-evening-london",
    title="Love Maps: An Evening Workshop for Couples",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.INTELLECTUAL,
    audience=Audience.COUPLES,
    timezone="Europe/London",
    currency="GBP",
    capacity=16,
    days_ahead=36,
    weekday=THURSDAY,
    starts=time(18, 30),
    days_long=0,
    ends=time(21, 30),
    venue="The Hearth Rooms",
    city="London",
    country="United Kingdom",
    summary=(
        "An evening of curious questions for couples: how well do you know your partner's inner "
        "world today, and how do you keep learning it?"
    ),
    description_md="""\
A love map is the part of your mind where you keep what you know about your partner: their \
worries, hopes, favourite memories and current stresses. Over one evening, eight couples update \
their maps through structured question cards, short talks and private conversation at their own \
table.

**Who it is for.** Couples who want a playful, thoughtful evening together. Long-term partners \
often find it most surprising.

**Your facilitator.** Grace Adeyemi, a relationship educator who has run evening workshops in \
London since 2018.

**The evening**
- 18:30 Welcome drink (alcohol-free options) and introduction
- 18:50 Three rounds of question cards, from light to deeper
- 20:15 Break
- 20:30 Designing a weekly ritual of connection, closing by 21:30

**What it is not.** Not therapy, and you never share your answers with the room. The \
conversation belongs to the two of you.
""",
    refund_rules=(7, None, 0),
    cancellation_policy="After that you can transfer your ticket to another couple.",
    preparation_guide_md="""\
**What to bring**
- Nothing but yourselves; cards and pens are provided
- Reading glasses if you need them, as the cards are printed small

**Arrival**
Doors open at 18:15 and we begin at 18:30. The Hearth Rooms are a five-minute walk from Angel \
station (Northern line); the entrance is on the side street, up one flight of stairs. There is \
no parking nearby, so please come by public transport. Tea and biscuits are waiting.

**A reflection exercise**
Before the evening, each of you writes down three moments from this year when you felt close \
to your partner. Do not compare notes; bring them along.

**Love-map questions to talk through beforehand**
A love map is the part of your mind that holds your partner's world: their worries, friends, \
hopes and history. Warm up with these over dinner one evening. Take turns: one asks, the other \
answers, and the one asking only listens and asks one follow-up question.
- What are you most looking forward to in the next month?
- Who has been getting on your nerves lately, and why?
- What is a film or book that shaped who you are?
- What was the best day of your last holiday, and what made it so?
- What is a small luxury you would buy yourself if money were no object?
- What is one thing about your work that I probably don't understand?
- What did you want to be when you were ten?
- What are you looking forward to about growing older, and what worries you?

On the evening itself we go further, with questions written for couples who think they already \
know each other well.

**A gratitude ritual**
The last ten minutes are yours alone: each of you writes a card to the other beginning \
"Something I learned about you tonight…", seals it, and swaps it on the way home.

**Code of conduct**
Questions can always be skipped with a simple "pass". Please keep other couples' conversations \
private if you overhear them.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places at a table for two, question cards and drinks included.",
            price_minor=5500,
            seats_per_ticket=2,
        ),
    ),
)

EYE_GAZING_WORKSHOP = DemoListing(
    slug="eye-gazing-breath-syncing-brooklyn",
    title="Eye-Gazing and Breath-Syncing Workshop",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.PHYSICAL,
    audience=Audience.EVERYONE,
    timezone="America/New_York",
    currency="USD",
    capacity=12,
    days_ahead=30,
    weekday=SATURDAY,
    starts=time(14, 0),
    days_long=0,
    ends=time(17, 30),
    venue="Stillpoint Studio",
    city="Brooklyn, NY",
    country="United States",
    summary=(
        "An afternoon of simple, powerful practices for presence: sustained eye contact and "
        "breathing in rhythm with another person, guided step by step."
    ),
    description_md="""\
Looking into someone's eyes for a few minutes, or matching their breath, can feel surprisingly \
tender. This afternoon introduces both practices slowly, starting with seconds rather than \
minutes, with time after each round to talk about what you noticed.

**Who it is for.** Couples and individuals. If you come alone you will practise with another solo \
participant, and you can ask to change partner at any point.

**Your facilitator.** Leah Marcus, a breathwork teacher and mindfulness instructor who teaches at \
community centres across New York.

**The afternoon**
- 14:00 Arrival, grounding and a short talk on attention
- 14:30 Breath awareness alone, then back-to-back breath-syncing
- 15:30 Tea break
- 15:45 Eye-gazing in short rounds, with reflection in between
- 17:00 Closing circle, ending at 17:30

**What it is not.** Not therapy and not a touch workshop: apart from optional back-to-back \
sitting, there is no physical contact. Fully clothed, and every round can be skipped.
""",
    refund_rules=(10, None, 0),
    cancellation_policy="After that you can transfer your place to someone else.",
    preparation_guide_md="""\
**What to bring**
- Loose, comfortable clothing you can sit on the floor in
- A cushion if you prefer your own (we have mats and blocks)
- A water bottle
- A partner if you have one; if you come alone, we pair you with another participant

**Arrival**
Please arrive by 13:50; the door is locked once we begin at 14:00. The studio is on the third \
floor, two blocks from the Bergen St stop (F, G trains). Street parking is limited on \
weekends. Shoes stay in the racks by the door.

**A reflection exercise**
For a few days before the workshop, pause twice a day and count ten slow breaths, noticing \
when your attention drifts. Jot down one line about what pulled it away.

**Eye-gazing: try it once at home**
Sit facing each other, close enough that your knees almost touch. Set a timer for one minute. \
Rest your gaze softly on your partner's left eye (it helps both of you look at the same eye) \
and blink as often as you need to. You will probably want to laugh, look away or talk: notice \
it, let it pass, and come back to the eye. When the timer rings, each of you says one word for \
what you felt. In the workshop we start with thirty seconds and build up to five minutes, with \
a bell. Coming alone? Try it with your own eyes in a mirror; it is harder than it sounds.

**Breath-syncing: try it once at home**
Sit back to back on the floor, spines touching, hands resting on your knees (in the workshop \
you may sit side by side instead). For the first minute, simply feel your partner's breath \
rise and fall. Then let one of you lead: breathe in for four counts, out for six, slowly \
enough that the other can follow without effort. After three minutes, swap who leads, then \
for the last two minutes let nobody lead and see what rhythm you find together. Alone, follow \
the four-six count with a slow piece of music for five minutes.

**A gratitude ritual**
We end sitting face to face again. Each of you places a hand on your own heart, and in turn \
tells the other one thing you are grateful to them for, in a single sentence, holding their \
gaze while you say it.

**Code of conduct**
You choose how long to hold each gaze and you can close your eyes at any time. Nothing is \
required, and the facilitator checks in with every pair.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places for you and a partner or friend.",
            price_minor=9500,
            seats_per_ticket=2,
        ),
        DemoTicket(
            name="Individual",
            description="One place; you will be paired with another solo participant.",
            price_minor=5000,
        ),
    ),
    # Twelve seats, all confirmed: this workshop shows the sold-out state.
    confirmed_parties=(
        (DemoGuest("Maya Thompson"), DemoGuest("Daniel Thompson", dietary_needs="Vegan")),
        (
            DemoGuest("Priya Raman", hopes="To feel calmer together after a busy year."),
            DemoGuest("Jonah Weiss"),
        ),
        (DemoGuest("Lucía Fernández"), DemoGuest("Tom Becker")),
        (DemoGuest("Aisha Bello"), DemoGuest("Marcus Bello", dietary_needs="No nuts")),
        (DemoGuest("Hannah Okafor", hopes="Curious about breathwork."),),
        (DemoGuest("Sam Lindqvist"),),
        (DemoGuest("Rebecca Cho"),),
        (DemoGuest("Elliot Park"),),
    ),
)

ONLINE_CONVERSATIONS_WORKSHOP = DemoListing(
    slug="closer-conversations-online",
    title="Closer Conversations: An Online Workshop for Couples",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.INTELLECTUAL,
    audience=Audience.COUPLES,
    timezone="America/Los_Angeles",
    currency="USD",
    capacity=40,
    days_ahead=40,
    weekday=WEDNESDAY,
    starts=time(17, 30),
    days_long=0,
    ends=time(19, 30),
    online_join_url="https://meet.example.org/closer-conversations",
    summary=(
        "A two-hour live online session for couples, from your own sofa: conversation prompts "
        "that help you share ideas, dreams and disagreements with curiosity."
    ),
    description_md="""\
Intellectual intimacy is the pleasure of thinking together: sharing opinions, debating kindly and \
being changed a little by each other's view. This live session gives couples a structure for that \
kind of conversation, with short teaching segments and private time in your own room.

**Who it is for.** Couples who live together or apart, including long-distance couples joining \
from two places. One ticket covers both of you.

**Your facilitators.** Dr Nina Alvarez, a communication researcher, and Chris Okoye, a \
relationship coach who works mostly with long-distance couples.

**The session**
- Welcome and a short talk on curiosity in long relationships
- Round one: "What have you changed your mind about?"
- Round two: a kind disagreement, with a simple listening structure
- Round three: a shared idea for the next year, and a closing reflection

**What it is not.** Not therapy and not a webinar to watch passively. Cameras are optional during \
the teaching parts; your conversations happen privately, never in front of the group.
""",
    refund_rules=(2, None, 0),
    cancellation_policy="Every ticket holder receives the session's worksheet by email either way.",
    preparation_guide_md="""\
**What to bring**
- A laptop or tablet with a camera, and headphones if you join from two places
- A quiet room where you can talk freely for two hours
- Paper, pens and something warm to drink

**Arrival**
The join link comes in your reminder email two days before the session. The room opens at \
17:20 Pacific Time and we start at 17:30. Test your audio at https://meet.example.org/test \
beforehand; no software install is needed. If you are in the same room, use one device and sit \
side by side so we can see you both.

**A reflection exercise**
Before the session, each of you notes one idea, book or conversation from this year that \
changed how you see something. Keep it short; we will start with it.

**Love-map questions for the breakout rooms**
In private breakout rooms you will have twenty minutes with questions like these. Try two of \
them beforehand to get used to asking, listening and asking again:
- What is a decision from your twenties you think about more than you admit?
- What is something about how I was raised that you find surprising?
- When do you feel most like yourself with me?
- What is something you would like us to learn together?

**A gratitude ritual**
We close with cameras on and microphones off: each of you writes your partner a three-line \
note of thanks, holds it up to the camera for them to read, and then gives it to them.

**Code of conduct**
Recording is not allowed. Keep other participants' names and faces private, and feel free to \
turn your camera off at any time.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="One join link for the two of you, from one home or two.",
            price_minor=4500,
            seats_per_ticket=2,
        ),
    ),
)

PHYSICAL_INTIMACY_WORKSHOP = DemoListing(
    slug="touch-trust-presence-sydney",
    title="Touch, Trust and Presence: A Non-Sexual Physical Intimacy Workshop",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.PHYSICAL,
    audience=Audience.COUPLES,
    timezone="Australia/Sydney",
    currency="AUD",
    capacity=20,
    days_ahead=62,
    weekday=SUNDAY,
    starts=time(10, 0),
    days_long=0,
    ends=time(16, 0),
    venue="Bondi Movement Loft",
    city="Sydney",
    country="Australia",
    summary=(
        "A one-day workshop for couples on everyday, non-sexual touch: asking, offering and "
        "receiving affection with more ease and less guesswork."
    ),
    description_md="""\
Many couples find that affectionate touch fades when life gets busy, or that it has become tied \
up with expectations. This workshop takes it back to basics: how to ask, how to say no kindly, \
and how to give touch that actually feels good to the person receiving it.

**Who it is for.** Couples of any orientation who want more warmth and ease in their physical \
connection. No experience of bodywork is needed.

**Your facilitators.** Mia Collins, a registered massage therapist, and Raj Patel, a relationship \
educator who teaches consent skills in schools and workplaces.

**Schedule**
- 10:00 Welcome and the "wheel of consent" in plain words
- 11:00 Hand and shoulder massage basics
- 12:30 Lunch break (bring your own or try the cafés on Hall Street)
- 13:30 Asking for what you like, and hearing no
- 15:15 Closing reflection, finishing at 16:00

**What it is not.** Not sexual, not therapy, and no nudity. Everyone stays clothed; touch is only \
between partners and only on hands, arms, shoulders and back.
""",
    refund_rules=(14, 3, 50),
    cancellation_policy="",
    preparation_guide_md="""\
**What to bring**
- Comfortable clothes with short or easily rolled-up sleeves
- A large towel or blanket and a small cushion
- Lunch, or money for a café nearby
- Unscented hand cream if you like; oils are provided

**Arrival**
Doors open at 09:40 and we start at 10:00. The loft is above the surf shop on Hall Street, \
Bondi Beach; buses 333 and 380 stop outside. Weekend parking is scarce, so allow time or come \
by bus. Take the side door and the stairs to the first floor.

**A reflection exercise**
In the week before, each of you writes down three kinds of touch from your partner that made \
you feel cared for, and one you would like more of. Keep the lists to yourselves until the \
afternoon.

**Hand-on-heart breathing: try it once at home**
Sit facing each other. One of you places a hand flat on the centre of the other's chest; the \
other places their hand over it. Breathe slowly, and let the one being touched set the pace; \
the one touching follows it with their own breath. After three minutes, swap. Before you \
start, agree on a word either of you can say to stop at any moment, and practise saying it \
once.

**A gratitude ritual**
We finish with a "thank-you hand": each of you holds the other's hand in both of yours and, in \
your own words, thanks them for one thing they allowed or offered during the day.

**Code of conduct**
Touch happens only with a clear yes, can stop at any moment, and never involves anyone other \
than your partner. Facilitators demonstrate on each other, never on participants.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places, massage oils and refreshments included.",
            price_minor=29000,
            seats_per_ticket=2,
        ),
    ),
)

CURIOUS_MINDS_SALON = DemoListing(
    slug="curious-minds-salon-toronto",
    title="Curious Minds: An Intellectual Intimacy Salon",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.INTELLECTUAL,
    audience=Audience.EVERYONE,
    timezone="America/Toronto",
    currency="CAD",
    capacity=24,
    days_ahead=88,
    weekday=TUESDAY,
    starts=time(19, 0),
    days_long=0,
    ends=time(21, 30),
    venue="The Reading Room at Harbord Books",
    city="Toronto",
    country="Canada",
    summary=(
        "An evening salon on thinking together: a short reading, guided conversation in pairs "
        "and small groups, and the art of disagreeing without distance."
    ),
    description_md="""\
Some of our closest moments happen in conversation about ideas. This salon pairs a short reading, \
different each season, with guided conversation designed to help people share their thinking \
openly and listen to views that differ from their own.

**Who it is for.** Couples, friends and people coming alone who enjoy ideas and want deeper \
conversations in their relationships.

**Your host.** Daniel Okafor, a philosophy teacher who runs public salons across Toronto.

**The evening**
- 19:00 Welcome, tea and a ten-minute reading
- 19:20 Conversation in pairs with three guided questions
- 20:10 Small-group round: disagreeing well
- 21:00 What will you take home? Closing by 21:30

**What it is not.** Not a debate club and not therapy. No one is asked to defend their views or \
share anything personal they would rather keep.
""",
    refund_rules=(2, None, 0),
    cancellation_policy="",
    preparation_guide_md="""\
**What to bring**
- The reading, which we email a week before (about eight pages)
- A pen; notebooks are provided

**Arrival**
Doors open at 18:45 and we start at 19:00. Harbord Books is a short walk from Spadina station \
(Line 2); the reading room is upstairs at the back. Green P parking is two blocks east.

**A reflection exercise**
After reading the text, write down one sentence you agreed with and one you wanted to argue \
with, and a question you would like to ask the author.

**Questions to map each other's minds**
Intellectual intimacy is knowing how someone thinks, not only what. In pairs we will use \
questions like these; try one with your partner or a friend beforehand:
- What idea changed your mind in the last year, and what did you believe before?
- Which question do you keep coming back to without an answer?
- Who is a thinker you disagree with but respect?
- What would you teach for one evening if you could teach anything?

**A gratitude ritual**
We end by going round the room: each person thanks someone for one thought they heard that \
evening, and says what they will do with it.

**Code of conduct**
Listen to understand before you respond, speak for yourself rather than for groups, and you \
may always pass.
""",
    tickets=(
        DemoTicket(
            name="Individual",
            description="One place, tea and the season's reading.",
            price_minor=3500,
        ),
        DemoTicket(
            name="Couple (2 people)",
            description="Two places for you and a partner or friend.",
            price_minor=6000,
            seats_per_ticket=2,
        ),
    ),
)

PARTNER_BREATHWORK_CANCELLED = DemoListing(
    slug="partner-breathwork-amsterdam",
    title="Breathing Together: Partner Breathwork Morning",
    kind=RetreatKind.WORKSHOP,
    focus=Focus.PHYSICAL,
    audience=Audience.COUPLES,
    timezone="Europe/Amsterdam",
    currency="EUR",
    capacity=20,
    days_ahead=45,
    weekday=SATURDAY,
    starts=time(10, 0),
    days_long=0,
    ends=time(13, 0),
    venue="Studio De Hofjes",
    city="Amsterdam",
    country="Netherlands",
    status=RetreatStatus.CANCELLED,
    summary=(
        "Cancelled: a morning of guided partner breathwork in the Jordaan. "
        "Everyone booked has been refunded in full."
    ),
    description_md="""\
This workshop has been cancelled because the facilitator is unable to travel. Everyone who booked \
has been refunded in full and emailed.

A morning of gentle breathing practices for couples: breath awareness, back-to-back breathing and \
a guided relaxation, with time to talk about what you noticed.

**What it is not.** Not therapy, no intense or hyperventilation techniques, fully clothed.
""",
    refund_rules=(14, None, 0),
    cancellation_policy="",
    preparation_guide_md="""\
**What to bring**
Comfortable clothes and a blanket.

**Arrival**
This session is cancelled; there is nothing to arrive for.

**A reflection exercise**
Take five slow breaths together each evening and notice how it changes the end of your day.

**Breath-syncing for home**
Lie side by side on your backs, each with one hand on your own belly and the other in your \
partner's hand. Breathe in for four, out for six, and let your out-breaths slowly fall into \
step. Ten minutes is plenty.

**Code of conduct**
All practices are optional and consent-led.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places, tea and blankets provided.",
            price_minor=8500,
            seats_per_ticket=2,
        ),
        DemoTicket(
            name="Individual",
            description="One place; solo participants practise alongside the group.",
            price_minor=4500,
        ),
    ),
)

WORKSHOPS: tuple[DemoListing, ...] = (
    EMOTIONAL_INTIMACY_WORKSHOP,
    LOVE_MAPPING_EVENING,
    EYE_GAZING_WORKSHOP,
    ONLINE_CONVERSATIONS_WORKSHOP,
    PHYSICAL_INTIMACY_WORKSHOP,
    CURIOUS_MINDS_SALON,
    PARTNER_BREATHWORK_CANCELLED,
)
