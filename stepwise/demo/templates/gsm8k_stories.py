"""The 16 forward story templates of the GSM8K-style demo: shopping, inventories, earnings, fractions of
a class, collections, packing, travel, discounts, recipes, savings, gardens, tickets, reading, bills,
chores and giving-and-comparing; 2 to 5 steps, each with optional distractor sentences."""

from __future__ import annotations

from stepwise.demo.choices import Choices, Person
from stepwise.demo.templates.gsm8k_base import Draft, make_step, sentence_case, template

_FRACTION_WORDS = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth"}
_TIMES_WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}
_COUNT_WORDS = {3: "three", 4: "four", 5: "five"}


@template("shopping", range(2, 6))
def shopping(ch: Choices, n: int) -> Draft:
    p = ch.person()
    goods = ch.rng.sample(
        [
            ("notebooks", "notebook"),
            ("pens", "pen"),
            ("mugs", "mug"),
            ("candles", "candle"),
            ("plants", "plant"),
            ("scarves", "scarf"),
            ("puzzles", "puzzle"),
            ("kites", "kite"),
        ],
        3,
    )
    kinds = {2: 1, 3: 2, 4: ch.pick([2, 3]), 5: 3}[n]
    with_change = n - kinds - (kinds > 1) == 1
    shop = ch.pick(["the market", "a gift shop", "the mall", "a craft fair"])
    givens, parts, steps = {}, [], []
    for i in range(kinds):
        givens[f"q{i}"], givens[f"p{i}"] = ch.num(2, 9), ch.num()
        parts.append(
            ch.pick([f"<q{i}> {goods[i][0]} for $<p{i}> each", f"<q{i}> {goods[i][0]} at $<p{i}> per {goods[i][1]}"])
        )
        steps.append(
            make_step(
                "*",
                [f"q{i}", f"p{i}"],
                ch.pick([f"The {goods[i][0]} cost <calc>.", f"{p.name} pays <calc> for the {goods[i][0]}."]),
                "$",
            )
        )
    spent = "s0"
    if kinds > 1:
        steps.append(
            make_step(
                "+",
                [f"s{i}" for i in range(kinds)],
                ch.pick([f"In total {p.he} spends <calc>.", "Altogether that is <calc>."]),
                "$",
            )
        )
        spent = f"s{kinds}"
    facts = [
        f"At {shop}, {p.name} buys " + (", ".join(parts[:-1]) + " and " + parts[-1] if kinds > 1 else parts[0]) + "."
    ]
    if with_change:
        total = sum(givens[f"q{i}"] * givens[f"p{i}"] for i in range(kinds))
        givens["bill"] = ((total // 50) + 1) * 50
        facts.append(
            ch.pick([f"{sentence_case(p.he)} pays with $<bill>.", f"{sentence_case(p.he)} hands the cashier $<bill>."])
        )
        steps.append(
            make_step(
                "-",
                ["bill", spent],
                ch.pick([f"{sentence_case(p.he)} gets <calc> back.", "The change is <calc>."]),
                "$",
            )
        )
        ask = ch.pick([f"How much change does {p.name} get?", f"How much money does {p.name} get back?"])
    else:
        ask = ch.pick([f"How much does {p.name} spend?", f"How much money does {p.name} pay in total?"])
    friend = ch.person()
    distractors = [
        f"{friend.name} buys <d> {goods[0][0]} too.",
        f"The shop has <d> {goods[-1][0]} left on the shelf.",
        f"{p.name} also looks at a {goods[-1][1]} that costs $<d> but does not buy it.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


def _inventory_events(ch: Choices, n: int, start: int, noun: str, p: Person) -> tuple[list[str], dict, list[dict]]:
    """Events that change a running total, filling exactly ``n`` steps."""
    facts, givens, steps, total, current = [], {}, [], start, "start"
    while len(steps) < n:
        room = n - len(steps)
        kinds = ["gain", "lose", "double"] + (["groups", "fraction"] if room >= 2 else [])
        kind = ch.pick(kinds)
        k = len(givens)
        if kind == "fraction":
            divisors = [d for d in (2, 3, 4, 5) if total % d == 0 and total // d > 0]
            if not divisors:
                continue
            d = ch.pick(divisors)
            facts.append(
                ch.pick(
                    [
                        f"{sentence_case(p.he)} gives away {_FRACTION_WORDS[d]} of the {noun}.",
                        f"{_FRACTION_WORDS[d].capitalize()} of the {noun} get sold.",
                    ]
                )
            )
            steps.append(
                make_step("/", [current, str(d)], f"{_FRACTION_WORDS[d].capitalize()} of them is <calc> {noun}.")
            )
            steps.append(make_step("-", [current, f"s{len(steps) - 1}"], f"That leaves <calc> {noun}."))
            total -= total // d
        elif kind == "groups":
            givens[f"g{k}"], givens[f"b{k}"] = ch.factor(), ch.num()
            facts.append(
                ch.pick(
                    [
                        f"{sentence_case(p.he)} gets <g{k}> boxes with <b{k}> {noun} in each.",
                        f"Then <g{k}> crates of <b{k}> {noun} each arrive.",
                    ]
                )
            )
            steps.append(make_step("*", [f"g{k}", f"b{k}"], f"The boxes hold <calc> {noun}."))
            steps.append(make_step("+", [current, f"s{len(steps) - 1}"], f"Now there are <calc> {noun}."))
            total += givens[f"g{k}"] * givens[f"b{k}"]
        elif kind == "gain":
            givens[f"a{k}"] = ch.num()
            facts.append(
                ch.pick([f"{sentence_case(p.he)} receives <a{k}> more {noun}.", f"A neighbor brings <a{k}> {noun}."])
            )
            steps.append(make_step("+", [current, f"a{k}"], f"After that there are <calc> {noun}."))
            total += givens[f"a{k}"]
        elif kind == "lose":
            if total < 2:
                continue
            givens[f"l{k}"] = ch.num(1, min(ch.high, total - 1))
            facts.append(
                ch.pick(
                    [f"{sentence_case(p.he)} uses <l{k}> {noun}.", f"<l{k}> of the {noun} are damaged and thrown out."]
                )
            )
            steps.append(make_step("-", [current, f"l{k}"], f"Then <calc> {noun} remain."))
            total -= givens[f"l{k}"]
        else:
            facts.append(
                ch.pick(
                    [
                        f"Later the number of {noun} doubles.",
                        f"{sentence_case(p.he)} doubles the {noun} by buying as many again.",
                    ]
                )
            )
            steps.append(make_step("*", [current, "2"], f"Doubling gives <calc> {noun}."))
            total *= 2
        current = f"s{len(steps) - 1}"
    return facts, givens, steps


@template("inventory", range(2, 6))
def inventory(ch: Choices, n: int) -> Draft:
    p = ch.person()
    noun, place = ch.pick(
        [
            ("cookies", "bakery"),
            ("books", "library"),
            ("eggs", "farm stand"),
            ("toys", "toy store"),
            ("pencils", "classroom"),
            ("jars of jam", "market stall"),
        ]
    )
    start = ch.num(10, 10 + 3 * ch.high)
    facts, givens, steps = _inventory_events(ch, n, start, noun, p)
    givens["start"] = start
    intro = ch.pick(
        [
            f"{p.name} runs a {place} and starts the day with <start> {noun}.",
            f"The {place} where {p.name} works has <start> {noun} in the morning.",
        ]
    )
    ask = ch.pick([f"How many {noun} are there at the end?", f"How many {noun} does the {place} have now?"])
    other = ch.person()
    distractors = [f"{other.name}'s {place} across the street has <d> {noun}.", f"Yesterday {p.he} sold <d> {noun}."]
    return Draft([intro] + facts, ask, givens, steps, distractors)


@template("earnings", range(2, 5))
def earnings(ch: Choices, n: int) -> Draft:
    p = ch.person()
    job = ch.pick(["babysitting", "walking dogs", "tutoring", "washing cars", "mowing lawns"])
    givens = {"rate": ch.num(), "hours": ch.num(2, 8), "days": ch.num(2, 6)}
    facts = [
        ch.pick([f"{p.name} earns $<rate> an hour {job}.", f"{p.name} makes $<rate> per hour from {job}."]),
        ch.pick(
            [
                f"{sentence_case(p.he)} works <hours> hours a day for <days> days.",
                f"Each day {p.he} spends <hours> hours on it, for <days> days.",
            ]
        ),
    ]
    steps = [
        make_step("*", ["rate", "hours"], f"Each day {p.he} earns <calc>.", "$"),
        make_step("*", ["s0", "days"], f"Over the <days> days {p.he} earns <calc>.", "$"),
    ]
    extras = ch.rng.sample(["bonus", "spend"], n - 2)
    for extra in extras:
        last = f"s{len(steps) - 1}"
        if extra == "bonus":
            givens["bonus"] = ch.num()
            facts.append(f"{sentence_case(p.his)} boss adds a bonus of $<bonus>.")
            steps.append(make_step("+", [last, "bonus"], f"With the bonus {p.he} has <calc>.", "$"))
        else:
            givens["spent"] = ch.num(1, givens["rate"] * givens["hours"])
            facts.append(
                ch.pick(
                    [
                        f"{sentence_case(p.he)} spends $<spent> on a new game.",
                        f"{sentence_case(p.he)} then pays $<spent> for lunch.",
                    ]
                )
            )
            steps.append(make_step("-", [last, "spent"], f"After spending, {p.he} has <calc> left.", "$"))
    ask = ch.pick([f"How much money does {p.name} have?", f"How many dollars does {p.name} end up with?"])
    distractors = [
        f"{sentence_case(p.his)} sister earns $<d> an hour.",
        f"{sentence_case(p.he)} lives <d> miles from work.",
        f"Last month {p.he} worked <d> hours.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


@template("class_fractions", range(2, 5))
def class_fractions(ch: Choices, n: int) -> Draft:
    k, m = ch.factor(), ch.factor()
    group = ch.pick(["students in a class", "children at a camp", "members of a club", "players in a league"])
    first, second = ch.rng.sample(["play soccer", "play chess", "sing in the choir", "paint", "swim", "dance"], 2)
    total = k * m * ch.num(1, max(1, ch.high // 3))
    givens = {"total": total}
    facts = [
        f"There are <total> {group}.",
        ch.pick([f"{_FRACTION_WORDS[k].capitalize()} of them {first}.", f"Of these, {_FRACTION_WORDS[k]} {first}."]),
    ]
    steps = [
        make_step("/", ["total", str(k)], f"<calc> of them {first}."),
        make_step("-", ["total", "s0"], f"So <calc> do not {first}."),
    ]
    ask = ch.pick([f"How many do not {first}?", f"How many of them do not {first}?"])
    if n >= 3:
        facts.append(
            ch.pick(
                [
                    f"Of the rest, {_FRACTION_WORDS[m]} {second}.",
                    f"{_FRACTION_WORDS[m].capitalize()} of the others {second}.",
                ]
            )
        )
        steps.append(make_step("/", ["s1", str(m)], f"Of those, <calc> {second}."))
        ask = f"How many {second}?"
    if n == 4:
        steps.append(make_step("-", ["s1", "s2"], "That leaves <calc> who do neither."))
        ask = ch.pick([f"How many neither {first} nor {second}?", f"How many do not {first} and do not {second}?"])
    distractors = [f"Last year there were <d> {group.split(' ')[0]}.", "<d> of them are new this year."]
    return Draft(facts, ask, givens, steps, distractors)


@template("collections", range(2, 6))
def collections(ch: Choices, n: int) -> Draft:
    noun = ch.pick(["stickers", "stamps", "marbles", "shells", "trading cards", "coins"])
    people = [ch.person() for _ in range(5)]
    first, k = people[0], ch.factor()
    with_total = n >= 3
    relations = n - 1 if with_total else n  # each later person is described relative to the one before
    givens = {"x": ch.num()}
    facts = [f"{first.name} has <x> {noun}."]
    steps = [make_step("*", ["x", str(k)], f"{people[1].name} has <calc> {noun}.")]
    facts.append(
        ch.pick(
            [
                f"{people[1].name} has {_TIMES_WORDS[k]} as many {noun} as {first.name}.",
                f"{people[1].name} owns {_TIMES_WORDS[k]} as many {noun} as {first.name} does.",
            ]
        )
    )
    count = givens["x"] * k
    for i in range(2, relations + 1):
        who, before, name = people[i], people[i - 1], f"r{i}"
        if ch.rng.random() < 0.5 and count > 1:
            givens[name] = ch.num(1, count - 1)
            facts.append(
                ch.pick(
                    [
                        f"{who.name} has <{name}> fewer {noun} than {before.name}.",
                        f"{who.name} has <{name}> {noun} less than {before.name}.",
                    ]
                )
            )
            steps.append(make_step("-", [f"s{i - 2}", name], f"{who.name} has <calc> {noun}."))
            count -= givens[name]
        else:
            givens[name] = ch.num()
            facts.append(
                ch.pick(
                    [
                        f"{who.name} has <{name}> more {noun} than {before.name}.",
                        f"{who.name} has <{name}> {noun} more than {before.name}.",
                    ]
                )
            )
            steps.append(make_step("+", [f"s{i - 2}", name], f"{who.name} has <calc> {noun}."))
            count += givens[name]
    if with_total:
        steps.append(make_step("+", ["x"] + [f"s{i}" for i in range(len(steps))], f"Together they have <calc> {noun}."))
        ask = ch.pick(
            [
                f"How many {noun} do all {_COUNT_WORDS[relations + 1]} of them have?",
                f"How many {noun} do they have in total?",
            ]
        )
    else:
        ask = f"How many {noun} does {people[relations].name} have?"
    distractors = [
        f"{first.name} gave away <d> {noun} last year.",
        f"{people[1].name}'s album has room for <d> {noun}.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


@template("packing", range(2, 5))
def packing(ch: Choices, n: int) -> Draft:
    p = ch.person()
    noun = ch.pick(["cupcakes", "apples", "candles", "soaps", "cookies", "muffins"])
    box, price = ch.factor() + ch.pick([0, 2, 4]), ch.num()
    boxes_needed = ch.num(3, 3 + ch.high)
    givens = {"per": box, "price": price}
    facts, steps = [], []
    if n == 4:
        givens["trays"], givens["per_tray"] = ch.factor(), box * ch.factor()
        while (givens["trays"] * givens["per_tray"]) // box <= 1:
            givens["trays"] += 1
        facts.append(f"{p.name} bakes <trays> trays of <per_tray> {noun}.")
        steps.append(make_step("*", ["trays", "per_tray"], f"{sentence_case(p.he)} has <calc> {noun}."))
        count, count_ref = givens["trays"] * givens["per_tray"], "s0"
    else:
        givens["count"] = count = box * boxes_needed
        facts.append(ch.pick([f"{p.name} has <count> {noun} to pack.", f"{p.name} made <count> {noun} for a fair."]))
        count_ref = "count"
    facts.append(ch.pick([f"Each box holds <per> {noun}.", f"{sentence_case(p.he)} puts <per> {noun} in every box."]))
    steps.append(make_step("/", [count_ref, "per"], f"{sentence_case(p.he)} needs <calc> boxes."))
    boxes_ref = f"s{len(steps) - 1}"
    if n >= 3:
        givens["owned"] = ch.num(1, count // box - 1) if count // box > 1 else 0
        facts.append(f"{sentence_case(p.he)} already has <owned> boxes.")
        steps.append(make_step("-", [boxes_ref, "owned"], f"{sentence_case(p.he)} must buy <calc> boxes."))
        boxes_ref = f"s{len(steps) - 1}"
    facts.append(ch.pick(["Boxes cost $<price> each.", "A new box costs $<price>."]))
    steps.append(make_step("*", [boxes_ref, "price"], "The boxes cost <calc>.", "$"))
    ask = ch.pick([f"How much does {p.name} spend on boxes?", f"How many dollars do the boxes cost {p.name}?"])
    distractors = [f"Each {noun[:-1]} sells for $<d>.", f"{sentence_case(p.his)} friend packed <d> {noun} yesterday."]
    return Draft(facts, ask, givens, steps, distractors)


@template("travel", range(2, 5))
def travel(ch: Choices, n: int) -> Draft:
    p = ch.person()
    verb, unit = ch.pick([("drives", "miles"), ("cycles", "kilometers"), ("rides a train", "miles")])
    givens = {"v": ch.num() * 5, "t": ch.num(2, 6)}
    facts = [
        ch.pick(
            [
                f"{p.name} {verb} at <v> {unit} per hour for <t> hours.",
                f"For <t> hours, {p.name} {verb} at <v> {unit} an hour.",
            ]
        )
    ]
    steps = [make_step("*", ["v", "t"], f"First {p.he} covers <calc> {unit}.")]
    if n in (3, 4):
        givens["w"], givens["u"] = ch.num() * 5, ch.num(1, 4)
        facts.append(
            ch.pick(
                [
                    f"Then {p.he} goes <w> {unit} per hour for <u> more hours.",
                    f"After a break {p.he} travels at <w> {unit} an hour for <u> hours.",
                ]
            )
        )
        steps.append(make_step("*", ["w", "u"], f"Then {p.he} covers <calc> {unit}."))
        steps.append(make_step("+", ["s0", "s1"], f"In all that is <calc> {unit}."))
    ask = f"How many {unit} does {p.name} travel?"
    if n in (2, 4):
        done = givens["v"] * givens["t"] + (givens["w"] * givens["u"] if n == 4 else 0)
        givens["trip"] = done + ch.num() * 5
        facts.insert(0, f"{p.name} is on a <trip>-{unit[:-1]} trip.")
        steps.append(
            make_step("-", ["trip", f"s{len(steps) - 1}"], f"{sentence_case(p.he)} still has <calc> {unit} to go.")
        )
        ask = ch.pick([f"How many {unit} are left?", f"How far does {p.name} still have to go, in {unit}?"])
    distractors = [
        f"{sentence_case(p.his)} car holds <d> gallons of fuel.",
        f"{sentence_case(p.he)} stops <d> times for snacks.",
        f"{sentence_case(p.his)} friend travels at <d> {unit} per hour.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


@template("discount", range(2, 5))
def discount(ch: Choices, n: int) -> Draft:
    p = ch.person()
    item = ch.pick(["jacket", "lamp", "backpack", "board game", "pair of shoes", "helmet"])
    percent, divisor = ch.pick([(10, 10), (20, 5), (25, 4), (50, 2)])
    givens = {"price": divisor * ch.num()}
    facts = [
        ch.pick([f"A {item} costs $<price>.", f"The price of a {item} is $<price>."]),
        ch.pick([f"This week it is {percent}% off.", f"It is on sale for {percent}% off."]),
    ]
    steps = [
        make_step("/", ["price", str(divisor)], "The discount is <calc>.", "$"),
        make_step("-", ["price", "s0"], "The sale price is <calc>.", "$"),
    ]
    ask = f"How much does the {item} cost on sale?"
    if n >= 3:
        givens["qty"] = ch.num(2, 5)
        facts.append(f"{p.name} buys <qty> of them.")
        steps.append(make_step("*", ["s1", "qty"], f"{sentence_case(p.he)} pays <calc>.", "$"))
        ask = f"How much does {p.name} pay?"
    if n == 4:
        total = (givens["price"] - givens["price"] // divisor) * givens["qty"]
        givens["bill"] = (total // 100 + 1) * 100
        facts.append(f"{sentence_case(p.he)} pays with $<bill>.")
        steps.append(make_step("-", ["bill", "s2"], f"{sentence_case(p.he)} gets <calc> back.", "$"))
        ask = f"How much change does {p.name} get?"
    distractors = [f"Last month the {item} was $<d> more expensive.", "The store sells <d> other items on sale."]
    return Draft(facts, ask, givens, steps, distractors)


@template("recipe", range(2, 5))
def recipe(ch: Choices, n: int) -> Draft:
    p = ch.person()
    dish = ch.pick(["pancakes", "muffins", "dumplings", "cookies"])
    first, second = ch.rng.sample(["flour", "sugar", "milk", "butter", "oats"], 2)
    unit = ch.pick(["cups", "spoons", "ounces"])
    serves, batches = ch.num(2, 8), ch.factor()
    givens = {"serves": serves, "a": ch.num(1, 6), "want": serves * batches}
    facts = [f"A recipe for <serves> {dish} uses <a> {unit} of {first}."]
    steps = [make_step("/", ["want", "serves"], f"{sentence_case(p.he)} needs <calc> batches.")]
    ask_noun = f"{unit} of {first}"
    if n == 4:
        givens["b"] = ch.num(1, 6)
        facts[0] = f"A recipe for <serves> {dish} uses <a> {unit} of {first} and <b> {unit} of {second}."
        steps.append(make_step("*", ["s0", "a"], f"That takes <calc> {unit} of {first}."))
        steps.append(make_step("*", ["s0", "b"], f"It also takes <calc> {unit} of {second}."))
        steps.append(make_step("+", ["s1", "s2"], f"Together that is <calc> {unit}."))
        ask_noun = f"{unit} of {first} and {second} together"
    else:
        steps.append(make_step("*", ["s0", "a"], f"That takes <calc> {unit} of {first}."))
    facts.append(ch.pick([f"{p.name} wants to make <want> {dish}.", f"{p.name} needs <want> {dish} for a party."]))
    ask = f"How many {ask_noun} does {p.name} need?"
    if n == 3:
        givens["have"] = ch.num(1, givens["a"] * batches - 1) if givens["a"] * batches > 1 else 0
        facts.append(f"{sentence_case(p.he)} already has <have> {unit} of {first}.")
        steps.append(make_step("-", ["s1", "have"], f"{sentence_case(p.he)} must get <calc> more {unit}."))
        ask = f"How many more {unit} of {first} does {p.name} need?"
    # Named, not "she"/"he": a distractor may come before the sentence that introduces the cook.
    distractors = ["The recipe also needs <d> eggs.", f"{p.name}'s last batch took <d> minutes to bake."]
    return Draft(facts, ask, givens, steps, distractors)


@template("savings", range(2, 5))
def savings(ch: Choices, n: int) -> Draft:
    p = ch.person()
    item = ch.pick(["bike", "guitar", "tablet", "telescope", "skateboard"])
    weekly = ch.num(2, ch.high)
    givens = {"saved": ch.num()}
    facts = [f"{sentence_case(p.he)} has saved $<saved>."]
    steps = []
    have = "saved"
    if n >= 3:
        givens["gift"] = ch.num()
        facts.append(
            ch.pick(
                [
                    f"{sentence_case(p.his)} aunt gives {p.him} $<gift>.",
                    f"{sentence_case(p.he)} gets $<gift> for {p.his} birthday.",
                ]
            )
        )
        steps.append(make_step("+", ["saved", "gift"], f"{sentence_case(p.he)} has <calc>.", "$"))
        have = "s0"
    weeks = ch.num(2, 10)
    have_value = givens["saved"] + givens.get("gift", 0)
    givens["cost"] = have_value + weekly * weeks
    facts.insert(0, f"{p.name} wants a {item} that costs $<cost>.")
    steps.append(make_step("-", ["cost", have], f"{sentence_case(p.he)} still needs <calc>.", "$"))
    need = f"s{len(steps) - 1}"
    if n == 4:
        chores = ch.num(1, weekly - 1)
        givens["chores"], givens["allowance"] = chores, weekly - chores
        facts.append(f"Each week {p.he} earns $<chores> from chores and gets $<allowance> allowance.")
        steps.append(make_step("+", ["chores", "allowance"], f"{sentence_case(p.he)} saves <calc> a week.", "$"))
        per_week = f"s{len(steps) - 1}"
    else:
        givens["weekly"] = weekly
        facts.append(
            ch.pick([f"{sentence_case(p.he)} saves $<weekly> every week.", f"Every week {p.he} puts away $<weekly>."])
        )
        per_week = "weekly"
    steps.append(make_step("/", [need, per_week], "It takes <calc> weeks."))
    ask = ch.pick([f"How many weeks until {p.name} can buy the {item}?", "How many weeks does it take?"])
    distractors = [
        f"{sentence_case(p.his)} brother saves $<d> a week.",
        f"A cheaper {item} costs $<d> less but {p.he} does not want it.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


@template("garden", range(2, 5))
def garden(ch: Choices, n: int) -> Draft:
    p = ch.person()
    plant, fruit = ch.pick(
        [
            ("tomato plants", "tomatoes"),
            ("pepper plants", "peppers"),
            ("bean plants", "beans"),
            ("strawberry plants", "strawberries"),
        ]
    )
    rows, per_row = ch.num(2, 8), ch.num()
    givens = {"rows": rows, "per_row": per_row, "dead": ch.num(2, rows * per_row - 1)}
    facts = [
        ch.pick(
            [
                f"{p.name} plants <rows> rows of {plant} with <per_row> in each row.",
                f"{p.name}'s garden has <rows> rows of <per_row> {plant}.",
            ]
        ),
        ch.pick(["<dead> of the plants do not survive.", "<dead> plants die in a storm."]),
    ]
    steps = [
        make_step("*", ["rows", "per_row"], "There are <calc> plants."),
        make_step("-", ["s0", "dead"], "<calc> plants survive."),
    ]
    ask = "How many plants survive?"
    if n >= 3:
        bag = ch.factor()
        givens["yield"] = bag * ch.num(1, 4) if n == 4 else ch.num(2, 9)
        facts.append(f"Each surviving plant gives <yield> {fruit}.")
        steps.append(make_step("*", ["s1", "yield"], f"They give <calc> {fruit}."))
        ask = f"How many {fruit} does {p.name} pick?"
    if n == 4:
        givens["bag"] = bag
        facts.append(f"{sentence_case(p.he)} packs them in bags of <bag>.")
        steps.append(make_step("/", ["s2", "bag"], "That fills <calc> bags."))
        ask = "How many bags does that fill?"
    distractors = [f"{sentence_case(p.his)} neighbor has <d> rows of flowers.", f"Last year {p.he} picked <d> {fruit}."]
    return Draft(facts, ask, givens, steps, distractors)


@template("tickets", range(3, 6))
def tickets(ch: Choices, n: int) -> Draft:
    place = ch.pick(["zoo", "museum", "aquarium", "theme park", "concert"])
    givens = {"adults": ch.num(1, 6), "kids": ch.num(1, 8), "adult_price": ch.num(), "kid_price": ch.num(1, ch.high)}
    facts = [
        f"<adults> adults and <kids> children go to the {place}.",
        ch.pick(
            [
                "Adult tickets cost $<adult_price> and child tickets cost $<kid_price>.",
                "An adult ticket is $<adult_price> and a child ticket is $<kid_price>.",
            ]
        ),
    ]
    steps = [
        make_step("*", ["adults", "adult_price"], "The adult tickets cost <calc>.", "$"),
        make_step("*", ["kids", "kid_price"], "The child tickets cost <calc>.", "$"),
    ]
    if n >= 4:
        givens["snacks"], givens["snack_price"] = ch.num(2, 9), ch.num(1, 9)
        facts.append(
            ch.pick(
                [
                    "They also buy <snacks> snacks at $<snack_price> each.",
                    "They buy <snacks> snacks for $<snack_price> apiece.",
                ]
            )
        )
        steps.append(make_step("*", ["snacks", "snack_price"], "The snacks cost <calc>.", "$"))
    steps.append(make_step("+", [f"s{i}" for i in range(len(steps))], "The total is <calc>.", "$"))
    ask = "How much do they spend?"
    if n == 5:
        total = sum(
            givens[a] * givens[b]
            for a, b in (("adults", "adult_price"), ("kids", "kid_price"), ("snacks", "snack_price"))
            if a in givens
        )
        givens["budget"] = (total // 50 + 1) * 50
        facts.insert(0, "A family brings $<budget> for a day out.")
        steps.append(make_step("-", ["budget", f"s{len(steps) - 1}"], "They have <calc> left.", "$"))
        ask = "How much money is left?"
    distractors = [f"The {place} opened <d> years ago.", "Parking costs $<d> but they came by bus."]
    return Draft(facts, ask, givens, steps, distractors)


@template("reading", range(2, 5))
def reading(ch: Choices, n: int) -> Draft:
    p = ch.person()
    givens = {"per_day": ch.num(), "days": ch.num(2, 7)}
    facts = [
        ch.pick(
            [
                f"{sentence_case(p.he)} reads <per_day> pages a day for <days> days.",
                f"For <days> days {p.he} reads <per_day> pages each day.",
            ]
        )
    ]
    steps = [make_step("*", ["per_day", "days"], f"{sentence_case(p.he)} reads <calc> pages.")]
    read = givens["per_day"] * givens["days"]
    if n >= 3:
        givens["extra"] = ch.num()
        read += givens["extra"]
        facts.append(f"On the weekend {p.he} reads <extra> more pages.")
        steps.append(make_step("+", ["s0", "extra"], "That makes <calc> pages read."))
    left_days = ch.factor()
    left = left_days * ch.num() if n == 4 else ch.num()
    givens["pages"] = read + left
    facts.insert(0, f"{p.name} is reading a <pages>-page book.")
    steps.append(make_step("-", ["pages", f"s{len(steps) - 1}"], "There are <calc> pages left."))
    ask = "How many pages are left?"
    if n == 4:
        givens["left_days"] = left_days
        facts.append(f"{sentence_case(p.he)} wants to finish in <left_days> days.")
        steps.append(make_step("/", ["s2", "left_days"], f"{sentence_case(p.he)} must read <calc> pages a day."))
        ask = f"How many pages a day must {p.he} read?"
    distractors = ["The book has <d> chapters.", f"{sentence_case(p.his)} friend reads <d> pages a day."]
    return Draft(facts, ask, givens, steps, distractors)


@template("bill_split", range(2, 5))
def bill_split(ch: Choices, n: int) -> Draft:
    friends = ch.factor()
    food = ch.pick(["pizzas", "burgers", "salads", "pies"])
    # Prices are multiples of the number of friends so the split is exact.
    givens = {"friends": friends, "qty": ch.num(1, 6), "price": friends * ch.num(1, max(1, ch.high // friends))}
    facts = [
        "<friends> friends share a meal.",
        ch.pick([f"They order <qty> {food} at $<price> each.", f"They get <qty> {food} for $<price> apiece."]),
    ]
    steps = [make_step("*", ["qty", "price"], f"The {food} cost <calc>.", "$")]
    if n == 3:
        givens["drinks"] = friends * ch.num(1, 4)
        facts.append("They also pay $<drinks> for drinks.")
        steps.append(make_step("+", ["s0", "drinks"], "The bill is <calc>.", "$"))
    if n == 4:
        givens["drinks"], givens["drink_price"] = ch.num(1, 6), friends * ch.num(1, 3)
        facts.append("They order <drinks> drinks at $<drink_price> each.")
        steps.append(make_step("*", ["drinks", "drink_price"], "The drinks cost <calc>.", "$"))
        steps.append(make_step("+", ["s0", "s1"], "The bill is <calc>.", "$"))
    facts.append("They split the bill equally.")
    steps.append(make_step("/", [f"s{len(steps) - 1}", "friends"], "Each friend pays <calc>.", "$"))
    ask = ch.pick(["How much does each friend pay?", "How many dollars does each person pay?"])
    distractors = ["The restaurant has <d> tables.", "They wait <d> minutes for the food."]
    return Draft(facts, ask, givens, steps, distractors)


@template("chores_time", range(2, 5))
def chores_time(ch: Choices, n: int) -> Draft:
    p = ch.person()
    task, other = ch.rng.sample(["emails", "lessons", "puzzles", "laps", "songs"], 2)
    givens = {"minutes": ch.num(), "count": ch.num(2, 6), "days": ch.num(2, 7)}
    facts = [
        ch.pick(
            [
                f"{p.name} spends <minutes> minutes on each of <count> {task} a day.",
                f"Every day {p.name} does <count> {task}, each taking <minutes> minutes.",
            ]
        )
    ]
    steps = [make_step("*", ["minutes", "count"], f"Each day the {task} take <calc> minutes.")]
    if n == 3:
        givens["extra"] = ch.num()
        facts.append(f"{sentence_case(p.he)} also rests <extra> minutes every day.")
        steps.append(make_step("+", ["s0", "extra"], "With the rest that is <calc> minutes a day."))
    if n == 4:
        givens["minutes2"], givens["count2"] = ch.num(), ch.num(2, 6)
        facts.append(f"{sentence_case(p.he)} also does <count2> {other} a day at <minutes2> minutes each.")
        steps.append(make_step("*", ["minutes2", "count2"], f"The {other} take <calc> minutes."))
        steps.append(make_step("+", ["s0", "s1"], "So each day takes <calc> minutes."))
    facts.append(f"{sentence_case(p.he)} keeps this up for <days> days.")
    steps.append(make_step("*", [f"s{len(steps) - 1}", "days"], "Over <days> days that is <calc> minutes."))
    ask = "How many minutes does that take in total?"
    distractors = [
        f"{sentence_case(p.he)} sleeps <d> hours a night.",
        f"{sentence_case(p.his)} brother spends <d> minutes on {task}.",
    ]
    return Draft(facts, ask, givens, steps, distractors)


@template("give_and_compare", [3])
def give_and_compare(ch: Choices, n: int) -> Draft:
    a, b = ch.person(), ch.person()
    noun = ch.pick(["marbles", "stickers", "crayons", "baseball cards"])
    gift = ch.num(1, ch.high)
    givens = {"x": gift + ch.num(), "y": ch.num(), "gift": gift}
    facts = [
        f"{a.name} has <x> {noun} and {b.name} has <y> {noun}.",
        ch.pick([f"{a.name} gives {b.name} <gift> {noun}.", f"{a.name} hands <gift> of {a.his} {noun} to {b.name}."]),
    ]
    after_a, after_b = givens["x"] - gift, givens["y"] + gift
    steps = [
        make_step("-", ["x", "gift"], f"{a.name} has <calc> {noun} left."),
        make_step("+", ["y", "gift"], f"{b.name} now has <calc> {noun}."),
    ]
    if after_b >= after_a:
        steps.append(make_step("-", ["s1", "s0"], f"{b.name} has <calc> more."))
        ask = f"How many more {noun} does {b.name} have than {a.name} now?"
    else:
        steps.append(make_step("-", ["s0", "s1"], f"{a.name} has <calc> more."))
        ask = f"How many more {noun} does {a.name} have than {b.name} now?"
    distractors = [f"Their teacher has <d> {noun}.", f"{b.name} lost <d> {noun} last week but found them all again."]
    return Draft(facts, ask, givens, steps, distractors)
