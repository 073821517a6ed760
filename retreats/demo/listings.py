"""Demo listings as plain data: the shapes, and the multi-day retreats (workshops: workshops.py).

Dates are relative (a weekday some days after seeding) and times are local wall-clock times in the
listing's own time zone, so the demo stays upcoming and reads naturally wherever it is seeded.
"""

from __future__ import annotations

from calendar import FRIDAY, MONDAY, THURSDAY
from dataclasses import dataclass
from datetime import time

from retreats.listings.models import (
    Audience,
    DepositRule,
    Focus,
    PricePer,
    RetreatKind,
    RetreatStatus,
)


@dataclass(frozen=True)
class DemoTicket:
    name: str
    description: str
    price_minor: int
    seats_per_ticket: int = 1
    # An early-bird price stops selling at the end of this many days after seeding (local time).
    sale_ends_in_days: int | None = None


@dataclass(frozen=True)
class DemoRoomType:
    name: str
    description: str
    rooms: int
    price_minor: int
    price_per: PricePer = PricePer.ROOM
    sleeps: int = 2
    suits_couple: bool = True
    shared: bool = False


@dataclass(frozen=True)
class DemoAddOn:
    name: str
    description: str
    price_minor: int
    price_per: PricePer = PricePer.BOOKING
    quantity_limit: int | None = None


@dataclass(frozen=True)
class DemoGuest:
    name: str
    dietary_needs: str = ""
    hopes: str = ""


@dataclass(frozen=True)
class DemoListing:
    slug: str
    title: str
    kind: RetreatKind
    focus: Focus
    audience: Audience
    timezone: str
    currency: str
    capacity: int
    # Starts on the first `weekday` at least `days_ahead` days after seeding, at local `starts`,
    # and ends `days_long` days later at local `ends` (0: the same day).
    days_ahead: int
    weekday: int
    starts: time
    days_long: int
    ends: time
    summary: str
    description_md: str
    # The organizer's own words shown beside the refund rules below.
    cancellation_policy: str
    preparation_guide_md: str
    tickets: tuple[DemoTicket, ...]
    # (full refund until N days before, partial refund until M days before, partial percent)
    refund_rules: tuple[int | None, int | None, int] = (30, 14, 50)
    venue: str | None = None
    city: str | None = None
    country: str | None = None
    online_join_url: str | None = None
    status: RetreatStatus = RetreatStatus.PUBLISHED
    # Confirmed bookings, one party (one or two guests) per booking.
    confirmed_parties: tuple[tuple[DemoGuest, ...], ...] = ()
    # A residential retreat's stay: its room types and add-ons, and the room type (by name) each
    # confirmed party stays in, in the order of confirmed_parties.
    room_types: tuple[DemoRoomType, ...] = ()
    add_ons: tuple[DemoAddOn, ...] = ()
    allows_no_accommodation: bool = False
    party_rooms: tuple[str, ...] = ()
    # (rule, value, balance due days before the start): a deposit now, the balance later.
    deposit: tuple[DepositRule, int, int] = (DepositRule.NONE, 0, 45)

    @property
    def is_online(self) -> bool:
        return self.online_join_url is not None


COUPLES_INTIMACY_WEEKEND = DemoListing(
    slug="couples-intimacy-weekend",
    title="Couples Intimacy Weekend in Sintra",
    kind=RetreatKind.RETREAT,
    focus=Focus.EMOTIONAL,
    audience=Audience.COUPLES,
    timezone="Europe/Lisbon",
    currency="EUR",
    capacity=24,
    days_ahead=55,
    weekday=FRIDAY,
    starts=time(17, 0),
    days_long=2,
    ends=time(14, 0),
    venue="Quinta da Serra Verde",
    city="Sintra",
    country="Portugal",
    summary=(
        "A slow weekend in the hills above Lisbon for couples who want to feel like a team again: "
        "guided conversations, gentle movement and unhurried time together."
    ),
    description_md="""\
Twelve couples, one quiet estate in the Sintra hills and a weekend with nothing to do but come \
back towards each other. Through guided conversations, partner exercises and shared meals you \
will practise listening without fixing, asking for what you need, and noticing what already works.

**Who it is for.** Couples of any age, orientation and stage: newly together, long married, or \
somewhere in a busy middle. You do not need to be in crisis, and you do not need to be perfect.

**Your facilitators.** Marta Nogueira (couples counsellor, 15 years in practice) and \
Jonas Weber (somatic coach) have led these weekends together since 2016.

**The shape of the weekend**
- Friday evening: arrival, welcome dinner, an opening circle
- Saturday: morning movement, two workshop sessions, a free afternoon, an evening ritual
- Sunday: a closing conversation you take home, brunch, departure by 14:00

**What it is not.** This is not couples therapy and not a crisis intervention. Every exercise is \
clothed, invitational and consent-led: you may always pass, and no one is asked to share in the \
group what belongs between the two of you.
""",
    refund_rules=(30, 14, 50),
    # It starts about 55 days ahead: a booking now pays 30 % and the rest 30 days before.
    deposit=(DepositRule.PERCENT, 30, 30),
    cancellation_policy="In the last 14 days you may transfer your place to another couple.",
    preparation_guide_md="""\
**What to bring**
- Comfortable clothes for movement and a warm layer for the evenings
- A notebook and pen each
- Indoor shoes or thick socks, and walking shoes for the gardens
- Any medication you need; the estate is 15 minutes from the nearest pharmacy

**Arrival**
Check-in opens at 15:30 on Friday; the opening circle starts at 17:00. Trains run every 20 \
minutes from Lisbon Rossio to Sintra (40 minutes) and we collect you from Sintra station at \
15:45 and 16:30. Free parking is available at the estate. If you are delayed, text Marta on \
+351 912 345 678 and we will keep dinner for you.

**A reflection exercise**
A few days before you come, each of you writes down, separately, three moments from this year \
when you felt close to your partner. Keep them private until Saturday morning, when we will \
use them in the first session.

**Love-map questions to talk through**
Choose a relaxed evening in the week before, sit somewhere without screens and take turns. One \
of you guesses the answer for the other, then the other tells the real one. Guessing wrong is \
the point: it shows where there is more to learn.
- Who is your partner's closest friend right now, and what do they talk about?
- What is one worry your partner is carrying this month?
- What would your partner do with a whole free Saturday alone?
- Which meal from their childhood does your partner still miss?
- What is a hope for the next five years your partner has not said out loud often?
- When does your partner feel most appreciated by you?

Stop after three or four questions if you like; we will come back to them on Saturday.

**A gratitude ritual for Saturday night**
We close Saturday with a short ritual by candlelight. Come with one specific thing your \
partner did this year that you are grateful for and have never properly thanked them for ("the \
morning you drove to the pharmacy at six", not "being supportive"). You will say it to them, \
not to the group.

**Code of conduct**
Everything is opt-in. You can pass on any exercise without explaining why, what is shared in \
the group stays in the group, and the facilitators are available throughout if something feels \
difficult.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places and all meals from Friday dinner; choose your room below.",
            price_minor=59000,
            seats_per_ticket=2,
        ),
    ),
    room_types=(
        DemoRoomType(
            name="Garden double",
            description="A double bed, a view over the camellia garden and a bathroom of your own.",
            rooms=8,
            price_minor=30000,
        ),
        DemoRoomType(
            name="Sea-view suite",
            description="A king-size bed, a sitting corner and a balcony towards the Atlantic.",
            rooms=3,
            price_minor=50000,
        ),
        DemoRoomType(
            name="Tower room",
            description="The round room at the top of the old tower, with a view of Pena Palace.",
            rooms=1,
            price_minor=42000,
        ),
    ),
    add_ons=(
        DemoAddOn(
            name="Airport transfer from Lisbon",
            description="A shared minibus from the airport on Friday at 14:30, back on Sunday.",
            price_minor=3500,
            price_per=PricePer.PERSON,
            quantity_limit=12,
        ),
        DemoAddOn(
            name="Private session with Marta",
            description="A 60-minute couples session on Saturday afternoon.",
            price_minor=12000,
            quantity_limit=6,
        ),
        DemoAddOn(
            name="Extra night on Sunday",
            description="Stay in your room until Monday, breakfast included.",
            price_minor=14000,
        ),
    ),
    confirmed_parties=(
        (
            DemoGuest("Inês Carvalho", hopes="Time to talk without the children."),
            DemoGuest("Rui Carvalho"),
        ),
    ),
    party_rooms=("Tower room",),
)

SPIRITUAL_INTIMACY_RETREAT = DemoListing(
    slug="spiritual-intimacy-retreat-ubud",
    title="Sacred Connection: A Spiritual Intimacy Retreat in Ubud",
    kind=RetreatKind.RETREAT,
    focus=Focus.SPIRITUAL,
    audience=Audience.EVERYONE,
    timezone="Asia/Makassar",
    currency="USD",
    capacity=20,
    days_ahead=100,
    weekday=MONDAY,
    starts=time(15, 0),
    days_long=5,
    ends=time(11, 0),
    venue="Taman Sari Rice Terrace Sanctuary",
    city="Ubud",
    country="Indonesia",
    summary=(
        "Five days among the rice terraces of Ubud to explore meaning, ritual and shared silence, "
        "on your own or with a partner."
    ),
    description_md="""\
Spiritual intimacy is the sense of sharing what matters most: values, wonder, grief and hope. \
This retreat makes room for it through meditation, contemplative walks, ritual and honest \
conversation, in a small group of no more than twenty people.

**Who it is for.** Couples and individuals, with or without a spiritual practice. No tradition \
is assumed and none is taught as the right one; we borrow gently and explain what we borrow.

**Your facilitators.** Ketut Ardana, a meditation teacher raised in Ubud, and Claire Dubois, \
a former hospice chaplain who now teaches contemplative practice.

**The shape of the week**
- Daily: sunrise meditation, breakfast in silence, a morning session, afternoons free
- Tuesday: a water blessing at a local temple, with a guide
- Thursday: a half day of silence and an evening sharing circle
- Saturday: closing ritual and departure by 11:00

**What it is not.** Not a religious conversion, not therapy, and not a detox. Participation in \
every practice is voluntary, and temple visits follow local customs on dress.
""",
    refund_rules=(60, 30, 50),
    cancellation_policy="We strongly recommend travel insurance.",
    preparation_guide_md="""\
**What to bring**
- Light, modest clothing that covers shoulders and knees for temple visits
- A sarong (we can lend one), a light rain jacket and insect repellent
- A refillable water bottle and a journal
- A small object that means something to you, for the altar of the opening circle
- Any prescription medication in its original packaging

**Arrival**
Check-in is from 13:00 on Monday; the welcome circle starts at 15:00 (Central Indonesia Time). \
We arrange shared transfers from Ngurah Rai airport (about 90 minutes) at 10:00 and 12:00; \
tell us your flight when you book. If you arrive earlier, the sanctuary is a 20-minute walk \
from Ubud market; the last stretch is a footpath between the rice terraces, so travel light or \
ask for the luggage cart at the gate.

**A reflection exercise**
In the week before you travel, take ten minutes each evening to note one moment of the day \
that felt meaningful, however small. Bring the list; we will return to it on the first \
evening.

**A breath practice to begin with**
Each morning we sit for twenty minutes at sunrise. To arrive ready, try it at home for a few \
days: sit with a straight, relaxed back, breathe in through the nose for a count of four, \
pause for two, breathe out for six. If you come with a partner or friend, sit back to back for \
the last five minutes and let your breathing slowly find the other's rhythm, without forcing \
it. Notice what changes when you stop leading.

**A gratitude ritual**
Every evening we make a small offering in the Balinese way: a palm-leaf tray with flowers, \
prepared by hand. Before you come, think of three people who made your life possible (a \
grandparent, a teacher, a stranger) and write one sentence of thanks to each. At Tuesday's \
water blessing you will fold them into the offering and let them go with the water.

**Code of conduct**
Silence periods are invitations, not rules. Consent is asked before any touch, even a hand on \
a shoulder, and you may step out of any practice at any time.
""",
    tickets=(
        DemoTicket(
            name="Early bird individual",
            description="One place and a private room, at the early-bird price.",
            price_minor=109000,
            sale_ends_in_days=18,
        ),
        DemoTicket(
            name="Early bird couple",
            description="Two places and a shared room, at the early-bird price.",
            price_minor=199000,
            seats_per_ticket=2,
            sale_ends_in_days=18,
        ),
        DemoTicket(
            name="Individual",
            description="One place, a private room, all meals and airport transfers.",
            price_minor=129000,
        ),
        DemoTicket(
            name="Couple (2 people)",
            description="Two places, a shared room, all meals and airport transfers.",
            price_minor=239000,
            seats_per_ticket=2,
        ),
    ),
)

SLOW_LOVE_ALPINE_RETREAT = DemoListing(
    slug="slow-love-alpine-couples-retreat",
    title="Slow Love: A Couples Retreat in the Bernese Alps",
    kind=RetreatKind.RETREAT,
    focus=Focus.EMOTIONAL,
    audience=Audience.COUPLES,
    timezone="Europe/Zurich",
    currency="CHF",
    capacity=16,
    days_ahead=120,
    weekday=FRIDAY,
    starts=time(16, 0),
    days_long=2,
    ends=time(13, 0),
    venue="Berghaus Lindenalp",
    city="Grindelwald",
    country="Switzerland",
    summary=(
        "Eight couples, a mountain guesthouse and a weekend at walking pace: time to talk, "
        "to listen and to remember why you chose each other."
    ),
    description_md="""\
Slow Love is built around a simple idea: closeness grows when there is time. We keep the programme \
light, with two short sessions a day and long walks in between, so that what comes up in the \
sessions has room to settle.

**Who it is for.** Couples who feel busy rather than broken, and who want a weekend that is \
restful as well as meaningful. A basic level of fitness for easy mountain paths helps.

**Your facilitators.** Anna and Lukas Brunner, a married pair of relationship coaches who have \
run retreats in the Bernese Oberland for ten years.

**The shape of the weekend**
- Friday: arrival, fondue dinner, a short opening session
- Saturday: a walking conversation on the Bachalpsee trail, an afternoon session on appreciation
- Sunday: a letter to each other, a closing circle, lunch and departure by 13:00

**What it is not.** Not therapy and not a programme with homework. Exercises are clothed, private \
to each couple and always optional.
""",
    refund_rules=(45, None, 0),
    cancellation_policy="You may move your booking to another date within twelve months.",
    preparation_guide_md="""\
**What to bring**
- Sturdy walking shoes, layers and a waterproof jacket: mountain weather changes quickly
- A day pack and a water bottle each
- Slippers for the guesthouse and a notebook
- Sun cream and sunglasses, even in cloud: the light at 2,000 m is strong

**Arrival**
Check-in from 14:00 on Friday; we begin at 16:00. Trains run hourly from Interlaken Ost to \
Grindelwald; from there the guesthouse is a 10-minute taxi ride, which we book for you if you \
send your arrival time. Parking is limited to eight cars; please tell us if you are driving.

**A reflection exercise**
Before you come, each of you writes a short list of five small things your partner does that \
make your days easier. Keep them sealed; we will open them on Saturday afternoon.

**Love-map questions for the walk**
On Saturday we walk to the Bachalpsee in pairs, with a set of questions to ask each other on \
the way. You can start at home with these, one or two an evening:
- What is a place from your childhood you would like to show me one day?
- What is something you have changed your mind about in the last few years?
- What does a really good ordinary day look like for you now?
- What are you quietly proud of that I might not know about?

Listen to the answer, then ask one more question about it before you say anything about \
yourself.

**A gratitude ritual**
Each evening before dinner we take five minutes for appreciations: each of you says three \
specific things you noticed and valued in the other that day, starting with "Today I \
appreciated…". Practise it at home for a few evenings; it feels awkward at first and then \
becomes the part of the day couples miss most afterwards.

**Code of conduct**
You set your own pace, on the trail and in the sessions. Nothing is shared with the group \
unless you choose to, and you can pause any exercise at any time.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places and all meals; choose your room below.",
            price_minor=82000,
            seats_per_ticket=2,
        ),
    ),
    room_types=(
        DemoRoomType(
            name="Valley double",
            description="A pine-panelled double room looking down the valley.",
            rooms=5,
            price_minor=30000,
        ),
        DemoRoomType(
            name="Mountain-view suite",
            description="A corner suite with a wood stove and the Eiger from the bed.",
            rooms=3,
            price_minor=48000,
        ),
    ),
    add_ons=(
        DemoAddOn(
            name="Couples massage",
            description="Ninety minutes for the two of you on Saturday, at the Berghaus spa.",
            price_minor=26000,
            quantity_limit=4,
        ),
    ),
)

COMING_HOME_TO_YOURSELF = DemoListing(
    slug="coming-home-to-yourself-brecon",
    title="Coming Home to Yourself: A Weekend for Individuals",
    kind=RetreatKind.RETREAT,
    focus=Focus.EMOTIONAL,
    audience=Audience.INDIVIDUALS,
    timezone="Europe/London",
    currency="GBP",
    capacity=14,
    days_ahead=75,
    weekday=FRIDAY,
    starts=time(16, 0),
    days_long=2,
    ends=time(13, 0),
    venue="Cwm Derw Farmhouse",
    city="Brecon",
    country="United Kingdom",
    summary=(
        "A weekend in the Brecon Beacons for people coming alone, about the relationship that "
        "shapes all the others: the one with yourself."
    ),
    description_md="""\
How we relate to ourselves shapes how close we can let others come. Over one weekend in a \
converted farmhouse, a small group explores self-compassion, boundaries and the stories we carry \
about being loved, through journaling, walks, small-group conversation and quiet time.

**Who it is for.** Anyone coming on their own: single, partnered, or in between. It suits people \
who would like to understand their patterns in relationships without putting a partner on the spot.

**Your facilitator.** Dr Rhiannon Evans, a counselling psychologist who has led self-compassion \
courses in Cardiff for twelve years, with assistant facilitator Owen Price.

**The shape of the weekend**
- Friday: arrival, supper, an opening circle
- Saturday: two morning sessions, a guided walk, a quiet afternoon, an evening of stories
- Sunday: a closing session, lunch and departure by 13:00

**What it is not.** Not group therapy, and not a singles event. There is no pressure to share, \
and no dating or pairing up.
""",
    refund_rules=(21, None, 0),
    cancellation_policy="After that you may transfer your place to a friend.",
    preparation_guide_md="""\
**What to bring**
- Walking boots and waterproofs for the hills
- Comfortable indoor clothes and slippers
- A journal you are happy to write in by hand
- A photograph of yourself as a child, if you have one (it stays with you)

**Arrival**
Arrive from 15:00 on Friday; we start at 16:00. The nearest station is Abergavenny; a minibus \
leaves the station at 14:45. There is free parking at the farmhouse, and the last mile is a \
narrow lane, so please drive slowly. Mobile signal is weak: the landline is 01874 123 456.

**A reflection exercise**
Before you come, write a short letter to yourself as you were five years ago: what would you \
want that person to know about being cared for? You will not be asked to read it aloud.

**Questions to map your own inner world**
Closeness with others starts with knowing your own landscape. Take one question a day in the \
week before and write for ten minutes without stopping:
- When do I feel most at ease in my own company?
- Whose voice do I hear when I criticise myself?
- What do I need from a friend when I am having a hard day, and do I ask for it?
- What did love look like in the house I grew up in?
- What would I like someone to notice about me without my having to say it?

**A gratitude ritual**
Each morning we begin with three lines in the journal: something you are grateful for outside \
you, something about your body, and something about yourself. Start the habit at home; on \
Sunday you will write a short thank-you note to yourself and we post it to you a month later.

**Code of conduct**
You can pass on any exercise. Personal stories stay in the room, and the facilitators are \
available for a private word at any time.
""",
    tickets=(
        DemoTicket(
            name="Individual",
            description="One place and all meals; choose your room below.",
            price_minor=30000,
        ),
    ),
    room_types=(
        DemoRoomType(
            name="Single room",
            description="A room of your own under the farmhouse eaves.",
            rooms=6,
            sleeps=1,
            suits_couple=False,
            price_minor=18000,
        ),
        DemoRoomType(
            name="Shared twin",
            description="Two single beds: share with a friend, or with another guest.",
            rooms=4,
            shared=True,
            suits_couple=False,
            price_minor=12000,
            price_per=PricePer.PERSON,
        ),
    ),
    allows_no_accommodation=True,
    add_ons=(
        DemoAddOn(
            name="Pick-up from Abergavenny station",
            description="On Friday at 16:00, and back on Sunday after lunch.",
            price_minor=1500,
            price_per=PricePer.PERSON,
            quantity_limit=8,
        ),
    ),
)

TUSCANY_COUPLES_RETREAT = DemoListing(
    slug="tuscany-couples-retreat",
    title="Slow Days in Tuscany: A Couples Retreat",
    kind=RetreatKind.RETREAT,
    focus=Focus.PHYSICAL,
    audience=Audience.COUPLES,
    timezone="Europe/Rome",
    currency="EUR",
    capacity=20,
    days_ahead=150,
    weekday=THURSDAY,
    starts=time(16, 0),
    days_long=3,
    ends=time(12, 0),
    venue="Podere Le Querce",
    city="Montepulciano",
    country="Italy",
    status=RetreatStatus.DRAFT,
    summary=(
        "Three days in a Tuscan farmhouse for couples to reconnect through touch, rest and "
        "shared meals. (Draft: programme still being finalised.)"
    ),
    description_md="""\
A draft listing for a retreat among the vineyards of southern Tuscany. The programme will \
centre on non-sexual physical closeness: massage basics, partner yoga and the simple habit of \
slowing down together.

**Who it is for.** Couples who want more everyday affection and ease in their bodies together.

**Your facilitators.** To be confirmed.

**What it is not.** Not therapy. Fully clothed, consent-led, and every exercise is optional.
""",
    refund_rules=(30, 14, 50),
    cancellation_policy="",
    preparation_guide_md="""\
**What to bring**
- Comfortable clothes for movement, a yoga mat if you have one, and a warm layer for the \
evenings
- Swimwear for the spring-fed pool and a sun hat
- A blanket or large shawl for the breath sessions
- Walking shoes for the vineyard paths

**Arrival**
Check-in from 14:00 on Thursday; the opening session starts at 16:00. The nearest station is \
Chiusi-Chianciano Terme (1 hour 50 from Rome, 1 hour 30 from Florence); we collect you there \
at 14:30. Driving, leave the SP146 at the sign for Le Querce and follow the white road for 2 \
km; parking is beside the olive press.

**A reflection exercise**
Notice, for one week, the moments of physical affection in your day: a hug, a hand held. Write \
them down without judging how many there were.

**Breath-syncing to try at home**
Sit on the floor, one of you behind the other, the back of the one in front resting against \
the chest of the one behind. The one behind places a hand lightly on the other's belly. For \
five minutes, the one in front breathes naturally and the one behind simply follows: in when \
they breathe in, out when they breathe out. Then swap. Afterwards, tell each other one thing \
you noticed. We build on this practice every morning.

**A gratitude ritual**
On the last evening we share a long dinner under the oaks. Before you come, each of you \
chooses one moment from your years together that you are grateful for and would like to tell \
the other about in detail: where you were, what you saw, what it meant.

**Code of conduct**
Consent before any touch, always; you may pass on anything. All practices are clothed and \
non-sexual.
""",
    tickets=(
        DemoTicket(
            name="Couple (2 people)",
            description="Two places, a double room and all meals.",
            price_minor=98000,
            seats_per_ticket=2,
        ),
    ),
)

RETREATS: tuple[DemoListing, ...] = (
    COUPLES_INTIMACY_WEEKEND,
    SPIRITUAL_INTIMACY_RETREAT,
    SLOW_LOVE_ALPINE_RETREAT,
    COMING_HOME_TO_YOURSELF,
    TUSCANY_COUPLES_RETREAT,
)
