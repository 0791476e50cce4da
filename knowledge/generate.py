#!/usr/bin/env python3
"""Seeded generator for Errand's demo knowledge.

Writes merchants, the product catalog, the gazetteer, customers and past
orders. Same seed, same bytes: the files are checked in and `make test`
verifies they are reproducible. Run: python3 knowledge/generate.py          (rewrite the files)
     python3 knowledge/generate.py --check  (fail if the files differ from the generator's output)
"""
import json
import math
import random
import re
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261122
HERE = Path(__file__).resolve().parent
CITY = "Navapur"
CENTER = (12.9716, 77.5946)

# --- places -----------------------------------------------------------------
NEIGHBOURHOODS = [
    ("Old Town", ["old city", "purana shahar"]), ("Lakeview", ["lake view"]),
    ("Hill Park", ["hillpark"]), ("Riverside", ["river side"]), ("Green Acres", []),
    ("Indira Nagar", ["indiranagar"]), ("Jaya Layout", ["jayalayout"]),
    ("Koramangala East", ["kora east"]), ("Koramangala West", ["kora west"]),
    ("Malleshpur", []), ("Banashankari", ["bsk"]), ("Rajaji Nagar", ["rajajinagar"]),
    ("Whitefield Heights", ["whitefield"]), ("Electronic Park", ["e-park", "epark"]),
    ("Sadashiv Nagar", ["sadashivnagar"]), ("Hebbal Gardens", ["hebbal"]),
    ("Yelahanka New Town", ["yelahanka"]), ("Bellandur Lakes", ["bellandur"]),
    ("Sarjapur Road", ["sarjapur"]), ("Marathahalli", ["marathalli"]),
    ("Basavanagudi", ["basavangudi"]), ("Frazer Town", ["frazertown"]),
    ("Cox Colony", []), ("Ulsoor", ["halasuru"]), ("Domlur", []),
    ("Vijay Nagar", ["vijaynagar"]), ("Kalyan Nagar", ["kalyannagar"]),
    ("HSR Sector 1", ["hsr"]), ("HSR Sector 7", []), ("BTM Stage 2", ["btm"]),
    ("Jeevan Bhima Nagar", ["jb nagar"]), ("Cunningham Road", []), ("Richmond Town", []),
    ("Shanti Nagar", ["shantinagar"]), ("Wilson Garden", []), ("Mount Joy", []),
    ("Sunrise Colony", []), ("Palm Grove", []), ("Tech Meadows", []), ("Seshadripuram", []),
]
LANDMARKS = [
    ("Navapur International Airport", "airport", ["airport", "the airport", "NVP", "navapur airport", "international airport"], (13.1986, 77.7066)),
    ("Central Mall", "mall", ["central mall", "the central mall", "centralmall"], (12.9719, 77.6412)),
    ("Navapur Central Railway Station", "station", ["central station", "railway station", "city station", "navapur junction"], (12.9781, 77.5697)),
    ("Navapur Cantonment Station", "station", ["cantonment", "cantt station"], (12.9937, 77.5983)),
    ("Eastgate Railway Station", "station", ["eastgate station"], (12.9957, 77.6950)),
    ("Kempe Bus Terminal", "bus_terminal", ["bus stand", "majestic", "main bus stand", "kbs"], (12.9767, 77.5713)),
    ("Phoenix Square Mall", "mall", ["phoenix square", "phoenix mall"], (12.9966, 77.6960)),
    ("Garuda Galleria", "mall", ["garuda mall"], (12.9702, 77.6097)),
    ("Orion Bay Mall", "mall", ["orion mall", "orion"], (13.0110, 77.5550)),
    ("Forum Lakeside Mall", "mall", ["forum mall", "forum"], (12.9345, 77.6112)),
    ("Mantra Square", "mall", ["mantra mall"], (12.9916, 77.5706)),
    ("Cubbon Gardens", "park", ["cubbon park"], (12.9763, 77.5929)),
    ("Lalbagh Botanical Garden", "park", ["lalbagh", "botanical garden"], (12.9507, 77.5848)),
    ("Navapur Palace", "landmark", ["the palace", "palace grounds"], (12.9987, 77.5920)),
    ("Chinnaswamy Stadium", "stadium", ["the stadium", "cricket stadium"], (12.9788, 77.5996)),
    ("City General Hospital", "hospital", ["general hospital", "cgh"], (12.9560, 77.5770)),
    ("St. Martha's Hospital", "hospital", ["st marthas"], (12.9660, 77.5860)),
    ("Navapur University", "college", ["the university", "nu campus"], (12.9480, 77.5010)),
    ("Institute of Science", "college", ["iisc", "science institute"], (13.0219, 77.5671)),
    ("Tech Meadows IT Park", "office", ["it park", "tech park", "itpl"], (12.9850, 77.7280)),
    ("Electronic Park Phase 1", "office", ["ecity phase 1", "electronic city"], (12.8450, 77.6600)),
    ("Manyata Business Park", "office", ["manyata", "manyata tech park"], (13.0450, 77.6200)),
    ("Vidhana Towers", "landmark", ["vidhana soudha", "secretariat"], (12.9796, 77.5906)),
    ("MG Road Metro", "metro", ["mg road", "mg road station"], (12.9755, 77.6066)),
    ("Trinity Metro", "metro", ["trinity"], (12.9730, 77.6170)),
    ("Indira Nagar Metro", "metro", ["indiranagar metro"], (12.9784, 77.6387)),
    ("Majestic Metro Interchange", "metro", ["majestic metro"], (12.9757, 77.5728)),
    ("Jayanagar Metro", "metro", ["jayanagar station"], (12.9300, 77.5800)),
    ("Yeshwantpur Junction", "station", ["yeshwantpur", "ypr"], (13.0230, 77.5500)),
    ("Ulsoor Lake", "park", ["halasuru lake"], (12.9830, 77.6200)),
    ("Hebbal Lake", "park", [], (13.0450, 77.5900)),
    ("Commercial Street", "market", ["commercial st"], (12.9822, 77.6080)),
    ("KR Market", "market", ["city market", "flower market"], (12.9640, 77.5770)),
    ("Brigade Road", "market", ["brigade"], (12.9710, 77.6070)),
    ("Russell Market", "market", [], (12.9860, 77.6050)),
    ("Grand Meridian Hotel", "hotel", ["meridian hotel"], (12.9870, 77.5960)),
    ("Lakeside Leela", "hotel", ["the leela"], (12.9605, 77.6480)),
    ("Taj Westend Residency", "hotel", ["westend"], (12.9850, 77.5850)),
    ("Navapur Zoo", "landmark", ["the zoo"], (12.8000, 77.5770)),
    ("Nandi Viewpoint", "landmark", ["nandi hills"], (13.3702, 77.6835)),
]
POI_KINDS = [
    ("Metro Station", "metro", ["metro"]), ("Bus Stop", "bus_stop", ["bus stop"]),
    ("Market", "market", ["market"]), ("Public Library", "library", ["library"]),
    ("Post Office", "post_office", ["post office"]), ("Police Station", "police", ["police station"]),
]


def offset(center, rng, spread):
    return (round(center[0] + rng.uniform(-spread, spread), 5),
            round(center[1] + rng.uniform(-spread, spread), 5))


def slug(s):
    out = "".join(c.lower() if c.isalnum() else "-" for c in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def gen_places(rng):
    places = []
    hoods = {}
    for i, (name, aliases) in enumerate(NEIGHBOURHOODS):
        angle = 2 * math.pi * i / len(NEIGHBOURHOODS)
        radius = 0.03 + 0.09 * ((i * 7) % 10) / 10
        coord = (round(CENTER[0] + radius * math.sin(angle), 5),
                 round(CENTER[1] + radius * math.cos(angle), 5))
        hoods[name] = coord
        places.append({"id": "pl-" + slug(name), "name": name, "kind": "neighbourhood",
                       "area": name, "lat": coord[0], "lon": coord[1], "aliases": aliases})
    names = list(hoods)
    for name, kind, aliases, coord in LANDMARKS:
        area = min(names, key=lambda n: (hoods[n][0] - coord[0]) ** 2 + (hoods[n][1] - coord[1]) ** 2)
        places.append({"id": "pl-" + slug(name), "name": name, "kind": kind, "area": area,
                       "lat": coord[0], "lon": coord[1], "aliases": aliases})
    for hood in names:
        for suffix, kind, generic in rng.sample(POI_KINDS, 2):
            coord = offset(hoods[hood], rng, 0.006)
            name = f"{hood} {suffix}"
            places.append({"id": "pl-" + slug(name), "name": name, "kind": kind, "area": hood,
                           "lat": coord[0], "lon": coord[1],
                           "aliases": [f"{a} {g}" for a in hoods_aliases(hood) for g in generic]})
    return places, hoods


def hoods_aliases(hood):
    return [a for n, al in NEIGHBOURHOODS if n == hood for a in al]


# --- merchants ----------------------------------------------------------------
MERCHANTS = [
    # id, name, kind, cuisine, area, delivery fee, packaging fee, min order, tax bps, prep minutes
    ("m-freshcart", "FreshCart Grocery", "grocery", None, "Indira Nagar", 2900, 0, 9900, 500, 10),
    ("m-greenbasket", "Green Basket Market", "grocery", None, "Jaya Layout", 3900, 0, 14900, 500, 12),
    ("m-dailyneeds", "Daily Needs Mart", "grocery", None, "Malleshpur", 1900, 0, 4900, 500, 8),
    ("m-quickmart", "QuickMart Express", "grocery", None, "HSR Sector 7", 2500, 500, 0, 500, 6),
    ("m-naturespantry", "Nature's Pantry Organics", "grocery", None, "Sadashiv Nagar", 4900, 0, 29900, 500, 15),
    ("m-masalaroute", "Masala Route Spice Co.", "spice_shop", None, "Old Town", 3500, 0, 9900, 500, 10),
    ("m-crumbcrust", "Crumb & Crust Bakery", "bakery", "bakery", "Richmond Town", 2500, 1000, 9900, 500, 15),
    ("m-slicerepublic", "Slice Republic", "restaurant", "pizza", "Koramangala East", 3900, 2000, 19900, 500, 20),
    ("m-crispycoop", "Crispy Coop", "restaurant", "fried_chicken", "Marathahalli", 3500, 1500, 14900, 500, 18),
    ("m-biryanidarbar", "Biryani Darbar", "restaurant", "biryani", "Frazer Town", 4500, 2500, 19900, 500, 25),
    ("m-beanthere", "Bean There Cafe", "restaurant", "cafe", "Cunningham Road", 2900, 1000, 9900, 500, 12),
    ("m-sugarrush", "Sugar Rush Desserts", "restaurant", "dessert", "HSR Sector 1", 3500, 1500, 14900, 500, 15),
]

# --- grocery base items -----------------------------------------------------
# (name, department, category, sizes [(size, unit, price_minor)], tags, description)
V, VG, GF, H, N = "veg", "vegan", "gluten-free", "halal", "contains-nuts"
GROCERY = [
    # Staples
    ("Basmati Rice", "Staples", "Rice", [(1, "kg", 14900), (5, "kg", 65000)], [V, VG, GF], "Long-grain aged basmati rice, fluffy and fragrant, ideal for biryani and pulao."),
    ("Sona Masoori Rice", "Staples", "Rice", [(1, "kg", 7900), (5, "kg", 36000)], [V, VG, GF], "Light, medium-grain everyday rice."),
    ("Brown Rice", "Staples", "Rice", [(1, "kg", 12900)], [V, VG, GF], "Whole-grain brown rice with a nutty bite."),
    ("Jasmine Rice", "Staples", "Rice", [(1, "kg", 18900)], [V, VG, GF], "Soft, aromatic Thai-style jasmine rice."),
    ("Poha (Flattened Rice)", "Staples", "Rice", [(500, "g", 4900)], [V, VG, GF], "Medium-thick flattened rice for poha and chivda."),
    ("Toor Dal", "Staples", "Pulses", [(500, "g", 8900), (1, "kg", 16900)], [V, VG, GF], "Split pigeon peas, the everyday dal."),
    ("Moong Dal", "Staples", "Pulses", [(500, "g", 8400), (1, "kg", 15900)], [V, VG, GF], "Split yellow moong lentils, quick cooking."),
    ("Masoor Dal", "Staples", "Pulses", [(500, "g", 6900), (1, "kg", 12900)], [V, VG, GF], "Red lentils for soups and dal."),
    ("Chana Dal", "Staples", "Pulses", [(500, "g", 6400), (1, "kg", 11900)], [V, VG, GF], "Split Bengal gram."),
    ("Urad Dal", "Staples", "Pulses", [(500, "g", 8900)], [V, VG, GF], "Split black gram for dosa and vada batter."),
    ("Kabuli Chana (Chickpeas)", "Staples", "Pulses", [(500, "g", 7900), (1, "kg", 14900)], [V, VG, GF], "White chickpeas for chole and hummus."),
    ("Rajma (Red Kidney Beans)", "Staples", "Pulses", [(500, "g", 9900)], [V, VG, GF], "Dark red kidney beans for rajma chawal."),
    ("Black Beans", "Staples", "Pulses", [(500, "g", 11900)], [V, VG, GF], "Dried black turtle beans."),
    ("Whole Wheat Atta", "Staples", "Flours", [(1, "kg", 6500), (5, "kg", 27900), (10, "kg", 52900)], [V, VG], "Stone-ground whole wheat flour for soft rotis."),
    ("Maida (All-Purpose Flour)", "Staples", "Flours", [(500, "g", 3200), (1, "kg", 5900)], [V, VG], "Refined wheat flour for baking and frying."),
    ("Besan (Gram Flour)", "Staples", "Flours", [(500, "g", 6900)], [V, VG, GF], "Fine chickpea flour for pakoras and cheela."),
    ("Rice Flour", "Staples", "Flours", [(500, "g", 4500)], [V, VG, GF], "Fine rice flour."),
    ("Semolina (Rava/Sooji)", "Staples", "Flours", [(500, "g", 3900), (1, "kg", 7200)], [V, VG], "Fine semolina for upma, halwa and idli."),
    ("Cornflour", "Staples", "Flours", [(200, "g", 3500)], [V, VG, GF], "Corn starch for thickening and crisp coatings."),
    ("Rolled Oats", "Staples", "Breakfast", [(500, "g", 14900), (1, "kg", 26900)], [V, VG], "Whole rolled oats for porridge and baking."),
    ("Cornflakes", "Staples", "Breakfast", [(475, "g", 19900)], [V, VG], "Crunchy toasted corn flakes."),
    ("Muesli with Fruit and Nuts", "Staples", "Breakfast", [(500, "g", 32900)], [V, N], "Oats, dried fruit, almonds and seeds."),
    ("Granola Honey Almond", "Staples", "Breakfast", [(400, "g", 34900)], [V, N], "Baked oat clusters with honey and almonds."),
    ("Sugar", "Staples", "Sugar & Sweeteners", [(1, "kg", 5200), (5, "kg", 24900)], [V, VG, GF], "Refined white sugar."),
    ("Jaggery", "Staples", "Sugar & Sweeteners", [(500, "g", 6900)], [V, VG, GF], "Unrefined cane jaggery."),
    ("Brown Sugar", "Staples", "Sugar & Sweeteners", [(500, "g", 8900)], [V, VG, GF], "Soft light brown sugar."),
    ("Honey", "Staples", "Sugar & Sweeteners", [(250, "g", 14900), (500, "g", 26900)], [V, GF], "Pure multiflora honey."),
    ("Iodised Salt", "Staples", "Salt", [(1, "kg", 2800)], [V, VG, GF], "Free-flowing iodised salt."),
    ("Rock Salt (Sendha Namak)", "Staples", "Salt", [(500, "g", 6500)], [V, VG, GF], "Pink rock salt."),
    ("Spaghetti", "Staples", "Pasta & Noodles", [(500, "g", 12900)], [V, VG], "Durum wheat spaghetti."),
    ("Penne Pasta", "Staples", "Pasta & Noodles", [(500, "g", 12900)], [V, VG], "Durum wheat penne rigate."),
    ("Fusilli Pasta", "Staples", "Pasta & Noodles", [(500, "g", 12900)], [V, VG], "Durum wheat spirals."),
    ("Macaroni", "Staples", "Pasta & Noodles", [(500, "g", 9900)], [V, VG], "Elbow macaroni."),
    ("Hakka Noodles", "Staples", "Pasta & Noodles", [(300, "g", 6900)], [V, VG], "Thin wheat noodles for stir-fries."),
    ("Instant Masala Noodles", "Staples", "Pasta & Noodles", [(280, "g", 5600)], [V], "Four-pack instant noodles with masala tastemaker."),
    ("Rice Vermicelli", "Staples", "Pasta & Noodles", [(200, "g", 4500)], [V, VG, GF], "Thin rice noodles."),
    ("Cherry Tomatoes", "Fruits & Vegetables", "Vegetables", [(200, "g", 6900)], [V, VG, GF], "Sweet cherry tomatoes."),
    ("Jalapeno Peppers", "Fruits & Vegetables", "Vegetables", [(100, "g", 4900)], [V, VG, GF], "Fresh green jalapenos."),
    ("Celery", "Fruits & Vegetables", "Vegetables", [(250, "g", 5900)], [V, VG, GF], "Crisp celery stalks."),
    ("Leeks", "Fruits & Vegetables", "Vegetables", [(250, "g", 6900)], [V, VG, GF], "Tender leeks."),
    ("Parsley", "Fruits & Vegetables", "Herbs", [(50, "g", 3900)], [V, VG, GF], "Fresh flat-leaf parsley."),
    ("Dill Leaves", "Fruits & Vegetables", "Herbs", [(100, "g", 2500)], [V, VG, GF], "Fresh dill (suva)."),
    ("Fenugreek Leaves", "Fruits & Vegetables", "Vegetables", [(250, "g", 2500)], [V, VG, GF], "Fresh methi leaves."),
    ("Shallots", "Fruits & Vegetables", "Vegetables", [(250, "g", 4500)], [V, VG, GF], "Small onions (sambar onions)."),
    ("Raw Banana", "Fruits & Vegetables", "Vegetables", [(2, "pc", 3500)], [V, VG, GF], "Green cooking plantains."),
    ("Bottle Gourd", "Fruits & Vegetables", "Vegetables", [(1, "pc", 3900)], [V, VG, GF], "Lauki, one medium."),
    ("Bitter Gourd", "Fruits & Vegetables", "Vegetables", [(250, "g", 3500)], [V, VG, GF], "Karela."),
    ("Drumstick Vegetable", "Fruits & Vegetables", "Vegetables", [(250, "g", 3900)], [V, VG, GF], "Moringa drumsticks for sambar."),
    ("Baby Corn", "Fruits & Vegetables", "Vegetables", [(200, "g", 4900)], [V, VG, GF], "Tender baby corn."),
    ("Red Cabbage", "Fruits & Vegetables", "Vegetables", [(1, "pc", 7900)], [V, VG, GF], "One red cabbage."),
    ("Kiwi", "Fruits & Vegetables", "Fruits", [(3, "pc", 9900)], [V, VG, GF], "Green kiwi fruit."),
    ("Pineapple", "Fruits & Vegetables", "Fruits", [(1, "pc", 8900)], [V, VG, GF], "Whole ripe pineapple."),
    ("Guava", "Fruits & Vegetables", "Fruits", [(500, "g", 5900)], [V, VG, GF], "Crunchy guavas (amrood)."),
    ("Pear", "Fruits & Vegetables", "Fruits", [(500, "g", 12900)], [V, VG, GF], "Green pears."),
    ("Sweet Lime", "Fruits & Vegetables", "Fruits", [(1, "kg", 8900)], [V, VG, GF], "Mosambi for juice."),
    ("Chicken Wings", "Meat & Seafood", "Chicken", [(500, "g", 19900)], [H, GF], "Fresh chicken wings."),
    ("Chicken Boneless Biryani Cut", "Meat & Seafood", "Chicken", [(500, "g", 25900)], [H, GF], "Large boneless chunks for biryani and tikka."),
    ("Mackerel Whole Cleaned", "Meat & Seafood", "Fish", [(500, "g", 19900)], [GF], "Bangda, cleaned."),
    ("Canned Tuna in Brine", "Meat & Seafood", "Fish", [(185, "g", 22900)], [GF], "Tuna chunks in brine."),
    ("Quinoa", "Staples", "Grains", [(500, "g", 29900)], [V, VG, GF], "White quinoa."),
    ("Millet Ragi Flour", "Staples", "Flours", [(500, "g", 6900)], [V, VG, GF], "Finger millet flour."),
    ("Foxtail Millet", "Staples", "Grains", [(500, "g", 8900)], [V, VG, GF], "Whole foxtail millet."),
    ("Sabudana", "Staples", "Grains", [(500, "g", 6900)], [V, VG, GF], "Tapioca pearls for khichdi and vada."),
    ("Vermicelli Roasted", "Staples", "Pasta & Noodles", [(400, "g", 4900)], [V, VG], "Roasted wheat seviyan for kheer and upma."),
    ("Chia Seeds", "Staples", "Seeds", [(200, "g", 19900)], [V, VG, GF], "Black chia seeds."),
    ("Flax Seeds", "Staples", "Seeds", [(200, "g", 8900)], [V, VG, GF], "Roasted flaxseeds."),
    ("Pumpkin Seeds", "Staples", "Seeds", [(150, "g", 19900)], [V, VG, GF], "Raw pumpkin seeds."),
    ("Peanuts Raw", "Staples", "Seeds", [(500, "g", 9900)], [V, VG, GF, N], "Raw groundnuts."),
    ("Soya Chunks", "Staples", "Pulses", [(200, "g", 5500)], [V, VG], "High-protein soya nuggets."),
    ("Sweetened Condensed Milk", "Baking", "Baking Essentials", [(400, "g", 14900)], [V, GF], "For desserts and kheer."),
    ("Khoa (Mawa)", "Dairy & Eggs", "Paneer & Tofu", [(200, "g", 11900)], [V, GF], "Fresh khoa for sweets."),
    ("Lemon Iced Tea Can", "Beverages", "Soft Drinks", [(300, "ml", 5000)], [V, VG, GF], "Chilled lemon iced tea."),
    ("Cold Coffee Bottle", "Beverages", "Coffee", [(200, "ml", 6500)], [V, GF], "Ready-to-drink cold coffee."),
    ("Mango Lassi Bottle", "Beverages", "Juices", [(200, "ml", 4000)], [V, GF], "Chilled mango lassi."),
    ("Jeera Soda", "Beverages", "Soft Drinks", [(250, "ml", 3000)], [V, VG, GF], "Cumin-spiced masala soda."),
    # Oils & ghee
    ("Sunflower Oil", "Staples", "Oils & Ghee", [(1, "l", 17900), (5, "l", 82900)], [V, VG, GF], "Refined sunflower oil for everyday cooking."),
    ("Groundnut Oil", "Staples", "Oils & Ghee", [(1, "l", 21900)], [V, VG, GF], "Cold-pressed peanut oil."),
    ("Mustard Oil", "Staples", "Oils & Ghee", [(1, "l", 19900)], [V, VG, GF], "Kachi ghani mustard oil."),
    ("Extra Virgin Olive Oil", "Staples", "Oils & Ghee", [(500, "ml", 59900), (1, "l", 109900)], [V, VG, GF], "Cold-extracted extra virgin olive oil."),
    ("Coconut Oil", "Staples", "Oils & Ghee", [(500, "ml", 18900)], [V, VG, GF], "Pure coconut oil."),
    ("Cow Ghee", "Staples", "Oils & Ghee", [(500, "ml", 34900), (1, "l", 65900)], [V, GF], "Clarified butter with a rich aroma."),
    # Fruit & veg
    ("Onion", "Fruits & Vegetables", "Vegetables", [(1, "kg", 4500), (2, "kg", 8500)], [V, VG, GF], "Fresh red onions."),
    ("Tomato", "Fruits & Vegetables", "Vegetables", [(500, "g", 2900), (1, "kg", 5400)], [V, VG, GF], "Ripe red tomatoes."),
    ("Potato", "Fruits & Vegetables", "Vegetables", [(1, "kg", 3900), (2, "kg", 7400)], [V, VG, GF], "All-purpose potatoes."),
    ("Garlic", "Fruits & Vegetables", "Vegetables", [(100, "g", 2500), (250, "g", 5900)], [V, VG, GF], "Fresh garlic bulbs."),
    ("Ginger", "Fruits & Vegetables", "Vegetables", [(100, "g", 1900), (250, "g", 4500)], [V, VG, GF], "Fresh ginger root."),
    ("Green Chilli", "Fruits & Vegetables", "Vegetables", [(100, "g", 1200)], [V, VG, GF], "Fresh hot green chillies."),
    ("Coriander Leaves", "Fruits & Vegetables", "Herbs", [(100, "g", 1500)], [V, VG, GF], "Fresh coriander (dhania / cilantro) bunch."),
    ("Mint Leaves", "Fruits & Vegetables", "Herbs", [(100, "g", 1500)], [V, VG, GF], "Fresh mint (pudina) bunch."),
    ("Curry Leaves", "Fruits & Vegetables", "Herbs", [(50, "g", 900)], [V, VG, GF], "Fresh curry leaves (kadi patta)."),
    ("Basil", "Fruits & Vegetables", "Herbs", [(50, "g", 4900)], [V, VG, GF], "Fresh sweet basil."),
    ("Spring Onion", "Fruits & Vegetables", "Vegetables", [(200, "g", 2500)], [V, VG, GF], "Green onions with bulbs."),
    ("Lemon", "Fruits & Vegetables", "Fruits", [(250, "g", 2900)], [V, VG, GF], "Juicy lemons (nimbu), about 4 pieces."),
    ("Lime", "Fruits & Vegetables", "Fruits", [(250, "g", 3500)], [V, VG, GF], "Seedless green limes."),
    ("Avocado", "Fruits & Vegetables", "Fruits", [(1, "pc", 9900), (2, "pc", 18900)], [V, VG, GF], "Ready-to-eat Hass-style avocado."),
    ("Banana", "Fruits & Vegetables", "Fruits", [(6, "pc", 4900), (12, "pc", 8900)], [V, VG, GF], "Ripe yellow bananas (kela)."),
    ("Apple", "Fruits & Vegetables", "Fruits", [(4, "pc", 14900), (1, "kg", 21900)], [V, VG, GF], "Crisp red apples."),
    ("Mango", "Fruits & Vegetables", "Fruits", [(1, "kg", 17900)], [V, VG, GF], "Sweet ripe mangoes (seasonal)."),
    ("Orange", "Fruits & Vegetables", "Fruits", [(1, "kg", 12900)], [V, VG, GF], "Juicy oranges."),
    ("Pomegranate", "Fruits & Vegetables", "Fruits", [(2, "pc", 15900)], [V, VG, GF], "Ruby red pomegranates."),
    ("Grapes", "Fruits & Vegetables", "Fruits", [(500, "g", 8900)], [V, VG, GF], "Seedless green grapes."),
    ("Watermelon", "Fruits & Vegetables", "Fruits", [(1, "pc", 8900)], [V, VG, GF], "Whole watermelon, about 3 kg."),
    ("Papaya", "Fruits & Vegetables", "Fruits", [(1, "pc", 6900)], [V, VG, GF], "Ripe papaya, about 1 kg."),
    ("Strawberries", "Fruits & Vegetables", "Fruits", [(200, "g", 14900)], [V, VG, GF], "Fresh strawberries."),
    ("Blueberries", "Fruits & Vegetables", "Fruits", [(125, "g", 29900)], [V, VG, GF], "Imported fresh blueberries."),
    ("Carrot", "Fruits & Vegetables", "Vegetables", [(500, "g", 3900)], [V, VG, GF], "Crunchy orange carrots."),
    ("Cauliflower", "Fruits & Vegetables", "Vegetables", [(1, "pc", 4500)], [V, VG, GF], "One medium cauliflower (gobi)."),
    ("Cabbage", "Fruits & Vegetables", "Vegetables", [(1, "pc", 3500)], [V, VG, GF], "One medium green cabbage."),
    ("Spinach", "Fruits & Vegetables", "Vegetables", [(250, "g", 2900)], [V, VG, GF], "Fresh spinach (palak) bunch."),
    ("Brinjal", "Fruits & Vegetables", "Vegetables", [(500, "g", 3900)], [V, VG, GF], "Purple brinjal (eggplant / aubergine)."),
    ("Okra", "Fruits & Vegetables", "Vegetables", [(500, "g", 4900)], [V, VG, GF], "Tender okra (bhindi / lady's finger)."),
    ("Green Peas", "Fruits & Vegetables", "Vegetables", [(500, "g", 6900)], [V, VG, GF], "Fresh shelled green peas (matar)."),
    ("Capsicum", "Fruits & Vegetables", "Vegetables", [(500, "g", 5900)], [V, VG, GF], "Green bell peppers (shimla mirch)."),
    ("Red Bell Pepper", "Fruits & Vegetables", "Vegetables", [(250, "g", 8900)], [V, VG, GF], "Sweet red bell peppers."),
    ("Cucumber", "Fruits & Vegetables", "Vegetables", [(500, "g", 3500)], [V, VG, GF], "Fresh green cucumbers."),
    ("Beetroot", "Fruits & Vegetables", "Vegetables", [(500, "g", 3900)], [V, VG, GF], "Earthy beetroot."),
    ("French Beans", "Fruits & Vegetables", "Vegetables", [(250, "g", 3900)], [V, VG, GF], "Tender green beans."),
    ("Mushrooms", "Fruits & Vegetables", "Vegetables", [(200, "g", 5900)], [V, VG, GF], "Fresh button mushrooms."),
    ("Sweet Corn", "Fruits & Vegetables", "Vegetables", [(2, "pc", 5900)], [V, VG, GF], "Two cobs of sweet corn (bhutta)."),
    ("Broccoli", "Fruits & Vegetables", "Vegetables", [(1, "pc", 8900)], [V, VG, GF], "One head of broccoli."),
    ("Zucchini", "Fruits & Vegetables", "Vegetables", [(500, "g", 9900)], [V, VG, GF], "Green zucchini."),
    ("Sweet Potato", "Fruits & Vegetables", "Vegetables", [(500, "g", 4900)], [V, VG, GF], "Sweet potatoes (shakarkandi)."),
    ("Pumpkin", "Fruits & Vegetables", "Vegetables", [(1, "kg", 4900)], [V, VG, GF], "Yellow pumpkin (kaddu)."),
    ("Lettuce", "Fruits & Vegetables", "Vegetables", [(1, "pc", 6900)], [V, VG, GF], "Crisp iceberg lettuce."),
    ("Fresh Coconut", "Fruits & Vegetables", "Fruits", [(1, "pc", 4500)], [V, VG, GF], "Whole mature coconut."),
    # Dairy
    ("Toned Milk", "Dairy & Eggs", "Milk", [(500, "ml", 2700), (1, "l", 5400)], [V, GF], "Fresh pasteurised toned milk."),
    ("Full Cream Milk", "Dairy & Eggs", "Milk", [(500, "ml", 3300), (1, "l", 6600)], [V, GF], "Rich full cream milk."),
    ("Oat Milk", "Dairy & Eggs", "Milk", [(1, "l", 29900)], [V, VG], "Creamy plant-based oat drink."),
    ("Almond Milk", "Dairy & Eggs", "Milk", [(1, "l", 32900)], [V, VG, GF, N], "Unsweetened almond drink."),
    ("Plain Curd", "Dairy & Eggs", "Curd & Yogurt", [(400, "g", 4500), (1, "kg", 9900)], [V, GF], "Thick set curd (dahi / plain yogurt)."),
    ("Greek Yogurt", "Dairy & Eggs", "Curd & Yogurt", [(400, "g", 18900)], [V, GF], "Strained high-protein Greek yogurt."),
    ("Paneer", "Dairy & Eggs", "Paneer & Tofu", [(200, "g", 9500), (500, "g", 22900)], [V, GF], "Fresh soft cottage cheese."),
    ("Tofu", "Dairy & Eggs", "Paneer & Tofu", [(200, "g", 12900)], [V, VG, GF], "Firm tofu."),
    ("Salted Butter", "Dairy & Eggs", "Butter & Cream", [(100, "g", 5800), (500, "g", 28500)], [V, GF], "Creamy salted table butter."),
    ("Unsalted Butter", "Dairy & Eggs", "Butter & Cream", [(500, "g", 29900)], [V, GF], "Unsalted butter for baking."),
    ("Fresh Cream", "Dairy & Eggs", "Butter & Cream", [(200, "ml", 6900)], [V, GF], "25% fat cooking cream (malai)."),
    ("Whipping Cream", "Dairy & Eggs", "Butter & Cream", [(250, "ml", 16900)], [V, GF], "Heavy cream for whipping."),
    ("Cheddar Cheese Block", "Dairy & Eggs", "Cheese", [(200, "g", 19900)], [V, GF], "Mature cheddar cheese."),
    ("Mozzarella Cheese", "Dairy & Eggs", "Cheese", [(200, "g", 17900)], [V, GF], "Shredded pizza mozzarella."),
    ("Processed Cheese Slices", "Dairy & Eggs", "Cheese", [(200, "g", 14900)], [V], "Ten cheese slices."),
    ("Parmesan Cheese", "Dairy & Eggs", "Cheese", [(100, "g", 39900)], [V, GF], "Aged hard cheese, grated."),
    ("Feta Cheese", "Dairy & Eggs", "Cheese", [(200, "g", 34900)], [V, GF], "Brined crumbly feta."),
    ("Cream Cheese", "Dairy & Eggs", "Cheese", [(200, "g", 22900)], [V, GF], "Spreadable cream cheese."),
    ("Buttermilk", "Dairy & Eggs", "Curd & Yogurt", [(500, "ml", 2500)], [V, GF], "Spiced chaas."),
    ("Farm Eggs", "Dairy & Eggs", "Eggs", [(6, "pc", 5400), (12, "pc", 10500), (30, "pc", 24900)], [GF], "Fresh white eggs."),
    ("Brown Eggs", "Dairy & Eggs", "Eggs", [(6, "pc", 7900)], [GF], "Free-range brown eggs."),
    # Meat & fish
    ("Chicken Curry Cut", "Meat & Seafood", "Chicken", [(500, "g", 18900), (1, "kg", 35900)], [H, GF], "Skin-off bone-in chicken pieces, ideal for curry and biryani."),
    ("Chicken Breast Boneless", "Meat & Seafood", "Chicken", [(500, "g", 24900)], [H, GF], "Skinless boneless chicken breast."),
    ("Chicken Thigh Boneless", "Meat & Seafood", "Chicken", [(500, "g", 26900)], [H, GF], "Juicy boneless thighs."),
    ("Chicken Mince", "Meat & Seafood", "Chicken", [(500, "g", 22900)], [H, GF], "Fresh chicken keema."),
    ("Chicken Drumsticks", "Meat & Seafood", "Chicken", [(500, "g", 21900)], [H, GF], "Skin-off drumsticks."),
    ("Whole Chicken", "Meat & Seafood", "Chicken", [(1, "kg", 29900)], [H, GF], "Whole dressed chicken, about 1 kg."),
    ("Mutton Curry Cut", "Meat & Seafood", "Mutton", [(500, "g", 44900)], [H, GF], "Goat meat curry cut with bone."),
    ("Mutton Mince", "Meat & Seafood", "Mutton", [(500, "g", 47900)], [H, GF], "Fresh goat keema."),
    ("Rohu Fish Steaks", "Meat & Seafood", "Fish", [(500, "g", 22900)], [GF], "Freshwater rohu, cut into steaks."),
    ("Seer Fish Steaks", "Meat & Seafood", "Fish", [(500, "g", 64900)], [GF], "Premium seer fish (surmai)."),
    ("Salmon Fillet", "Meat & Seafood", "Fish", [(250, "g", 79900)], [GF], "Skin-on Atlantic salmon fillet."),
    ("Prawns Medium Cleaned", "Meat & Seafood", "Seafood", [(250, "g", 34900)], [GF], "Deveined medium prawns."),
    ("Pork Sausages", "Meat & Seafood", "Cold Cuts", [(250, "g", 24900)], [], "Herbed pork sausages."),
    ("Chicken Salami", "Meat & Seafood", "Cold Cuts", [(150, "g", 14900)], [H], "Sliced chicken salami."),
    ("Bacon Rashers", "Meat & Seafood", "Cold Cuts", [(200, "g", 32900)], [], "Smoked streaky bacon."),
    # Snacks
    ("Salted Potato Chips", "Snacks", "Chips & Crisps", [(52, "g", 2000), (150, "g", 5000)], [V, VG, GF], "Classic salted potato chips (crisps)."),
    ("Masala Potato Chips", "Snacks", "Chips & Crisps", [(52, "g", 2000), (150, "g", 5000)], [V, VG, GF], "Tangy masala-dusted potato chips."),
    ("Cream and Onion Chips", "Snacks", "Chips & Crisps", [(52, "g", 2000), (150, "g", 5000)], [V], "Crisps with sour cream and onion seasoning."),
    ("Banana Chips", "Snacks", "Chips & Crisps", [(200, "g", 8900)], [V, VG, GF], "Kerala-style coconut-oil banana chips."),
    ("Tortilla Nachos Cheese", "Snacks", "Chips & Crisps", [(150, "g", 9900)], [V], "Corn tortilla chips with cheese seasoning."),
    ("Tortilla Chips Lightly Salted", "Snacks", "Chips & Crisps", [(200, "g", 11900)], [V, VG, GF], "Plain corn tortilla chips for dips."),
    ("Aloo Bhujia", "Snacks", "Namkeen", [(200, "g", 5500), (400, "g", 9900)], [V, VG], "Spicy potato and gram-flour sev."),
    ("Khatta Meetha Mix", "Snacks", "Namkeen", [(200, "g", 5500)], [V, N], "Sweet and sour namkeen with peanuts."),
    ("Moong Dal Namkeen", "Snacks", "Namkeen", [(200, "g", 5500)], [V, VG, GF], "Crunchy fried moong dal."),
    ("Masala Peanuts", "Snacks", "Namkeen", [(200, "g", 6500)], [V, VG, N], "Coated spicy peanuts."),
    ("Mixture Namkeen", "Snacks", "Namkeen", [(400, "g", 9900)], [V, N], "South Indian mixture with curry leaves."),
    ("Chakli", "Snacks", "Namkeen", [(200, "g", 7500)], [V, VG], "Crisp rice-flour spirals."),
    ("Roasted Makhana Peri Peri", "Snacks", "Healthy Snacks", [(80, "g", 14900)], [V, VG, GF], "Roasted fox nuts with peri peri."),
    ("Roasted Chana", "Snacks", "Healthy Snacks", [(200, "g", 6900)], [V, VG, GF], "Crunchy roasted Bengal gram."),
    ("Trail Mix", "Snacks", "Healthy Snacks", [(200, "g", 24900)], [V, VG, N], "Nuts, seeds and berries."),
    ("Protein Bar Chocolate", "Snacks", "Healthy Snacks", [(60, "g", 9900)], [V, N], "20 g protein bar."),
    ("Microwave Popcorn Butter", "Snacks", "Popcorn", [(90, "g", 5900)], [V, GF], "Butter-flavoured microwave popcorn."),
    ("Caramel Popcorn", "Snacks", "Popcorn", [(100, "g", 9900)], [V, GF], "Ready-to-eat caramel popcorn."),
    ("Popcorn Kernels", "Snacks", "Popcorn", [(500, "g", 8900)], [V, VG, GF], "Raw popping corn."),
    ("Instant Pakora Mix", "Snacks", "Ready Mixes", [(200, "g", 6500)], [V, VG, GF], "Besan batter mix for crispy pakoras and bhajji."),
    ("Samosa (Frozen, 12 pc)", "Frozen", "Frozen Snacks", [(12, "pc", 19900)], [V, VG], "Ready-to-fry potato samosas."),
    ("Salted Cashews", "Snacks", "Dry Fruits & Nuts", [(200, "g", 29900)], [V, VG, GF, N], "Roasted salted cashews."),
    ("Almonds", "Snacks", "Dry Fruits & Nuts", [(250, "g", 29900), (500, "g", 57900)], [V, VG, GF, N], "California-style whole almonds (badam)."),
    ("Cashew Nuts", "Snacks", "Dry Fruits & Nuts", [(250, "g", 32900)], [V, VG, GF, N], "Whole cashews (kaju)."),
    ("Raisins", "Snacks", "Dry Fruits & Nuts", [(250, "g", 14900)], [V, VG, GF], "Golden raisins (kishmish)."),
    ("Walnuts", "Snacks", "Dry Fruits & Nuts", [(250, "g", 39900)], [V, VG, GF, N], "Shelled walnut halves."),
    ("Pistachios Salted", "Snacks", "Dry Fruits & Nuts", [(200, "g", 44900)], [V, VG, GF, N], "Roasted salted pistachios."),
    ("Dates", "Snacks", "Dry Fruits & Nuts", [(500, "g", 24900)], [V, VG, GF], "Soft seedless dates."),
    # Biscuits & sweets
    ("Chocolate Chip Cookies", "Biscuits & Sweets", "Cookies", [(150, "g", 6000), (300, "g", 11000)], [V], "Crunchy cookies with chocolate chips."),
    ("Butter Cookies", "Biscuits & Sweets", "Cookies", [(200, "g", 9900)], [V], "Danish-style butter cookies."),
    ("Digestive Biscuits", "Biscuits & Sweets", "Biscuits", [(250, "g", 6000)], [V, VG], "Whole-wheat digestive biscuits."),
    ("Glucose Biscuits", "Biscuits & Sweets", "Biscuits", [(250, "g", 2500)], [V], "Classic tea-time glucose biscuits."),
    ("Cream Biscuits Chocolate", "Biscuits & Sweets", "Biscuits", [(120, "g", 3500)], [V], "Chocolate sandwich cream biscuits."),
    ("Marie Biscuits", "Biscuits & Sweets", "Biscuits", [(250, "g", 3500)], [V], "Light tea biscuits."),
    ("Rusk", "Biscuits & Sweets", "Biscuits", [(300, "g", 5500)], [V], "Twice-baked crisp toast rusk."),
    ("Milk Chocolate Bar", "Biscuits & Sweets", "Chocolates", [(50, "g", 5000), (150, "g", 14000)], [V, GF], "Smooth milk chocolate."),
    ("Dark Chocolate 70%", "Biscuits & Sweets", "Chocolates", [(100, "g", 19900)], [V, VG, GF], "Intense 70% cocoa dark chocolate."),
    ("Fruit and Nut Chocolate", "Biscuits & Sweets", "Chocolates", [(80, "g", 9900)], [V, N], "Milk chocolate with raisins and almonds."),
    ("Gulab Jamun Tin", "Biscuits & Sweets", "Indian Sweets", [(1, "kg", 24900)], [V], "Soft gulab jamun in syrup."),
    ("Rasgulla Tin", "Biscuits & Sweets", "Indian Sweets", [(1, "kg", 22900)], [V, GF], "Spongy rasgulla in syrup."),
    ("Soan Papdi", "Biscuits & Sweets", "Indian Sweets", [(250, "g", 9900)], [V, N], "Flaky gram-flour sweet."),
    # Beverages
    ("Assam Tea", "Beverages", "Tea", [(250, "g", 14900), (500, "g", 27900)], [V, VG, GF], "Strong CTC Assam black tea for chai."),
    ("Green Tea Bags", "Beverages", "Tea", [(25, "pc", 17900)], [V, VG, GF], "Twenty-five green tea bags."),
    ("Masala Chai Premix", "Beverages", "Tea", [(10, "pc", 12900)], [V], "Instant masala chai sachets."),
    ("Filter Coffee Powder", "Beverages", "Coffee", [(200, "g", 17900)], [V, VG, GF], "80:20 coffee-chicory blend for South Indian filter coffee."),
    ("Instant Coffee", "Beverages", "Coffee", [(100, "g", 29900)], [V, VG, GF], "Freeze-dried instant coffee."),
    ("Coffee Beans Medium Roast", "Beverages", "Coffee", [(250, "g", 49900)], [V, VG, GF], "Single-estate arabica beans."),
    ("Hot Chocolate Mix", "Beverages", "Coffee", [(200, "g", 24900)], [V], "Rich cocoa drink mix."),
    ("Cola", "Beverages", "Soft Drinks", [(750, "ml", 4000), (2, "l", 9500)], [V, VG, GF], "Fizzy cola."),
    ("Lemon Soda", "Beverages", "Soft Drinks", [(750, "ml", 4000)], [V, VG, GF], "Sparkling lemon-lime soda."),
    ("Ginger Ale", "Beverages", "Soft Drinks", [(300, "ml", 6000)], [V, VG, GF], "Dry ginger ale."),
    ("Orange Juice", "Beverages", "Juices", [(1, "l", 12900)], [V, VG, GF], "100% orange juice, no added sugar."),
    ("Mixed Fruit Juice", "Beverages", "Juices", [(1, "l", 11900)], [V, VG, GF], "Mixed fruit nectar."),
    ("Coconut Water", "Beverages", "Juices", [(200, "ml", 4500)], [V, VG, GF], "Natural tender coconut water."),
    ("Mango Drink", "Beverages", "Juices", [(600, "ml", 3800)], [V, VG, GF], "Sweet mango drink."),
    ("Packaged Drinking Water", "Beverages", "Water", [(1, "l", 2000), (5, "l", 8000)], [V, VG, GF], "Purified drinking water."),
    ("Sparkling Water", "Beverages", "Water", [(500, "ml", 6000)], [V, VG, GF], "Carbonated mineral water."),
    ("Energy Drink", "Beverages", "Soft Drinks", [(250, "ml", 12500)], [V, VG, GF], "Caffeinated energy drink."),
    ("Rose Syrup", "Beverages", "Syrups", [(750, "ml", 16900)], [V, VG, GF], "Rose sharbat syrup."),
    # Bakery (grocery shelf)
    ("White Sandwich Bread", "Bakery", "Bread", [(400, "g", 4500)], [V, VG], "Soft sliced white bread."),
    ("Brown Bread", "Bakery", "Bread", [(400, "g", 5500)], [V, VG], "Sliced whole-wheat bread."),
    ("Multigrain Bread", "Bakery", "Bread", [(400, "g", 6500)], [V, VG], "Sliced bread with seeds and grains."),
    ("Burger Buns", "Bakery", "Bread", [(4, "pc", 4500)], [V], "Soft sesame burger buns."),
    ("Pav Buns", "Bakery", "Bread", [(6, "pc", 3500)], [V], "Soft dinner rolls for pav bhaji and vada pav."),
    ("Wheat Tortillas", "Bakery", "Bread", [(6, "pc", 11900)], [V, VG], "Soft flour tortillas for wraps and tacos."),
    ("Frozen Malabar Parotta", "Frozen", "Frozen Breads", [(5, "pc", 12900)], [V], "Flaky layered parottas."),
    ("Pizza Base", "Bakery", "Bread", [(2, "pc", 6900)], [V, VG], "Ready 10-inch pizza bases."),
    # Sauces, spreads, condiments
    ("Tomato Ketchup", "Sauces & Spreads", "Sauces", [(500, "g", 11900), (1, "kg", 19900)], [V, VG, GF], "Classic tomato ketchup."),
    ("Green Chilli Sauce", "Sauces & Spreads", "Sauces", [(200, "g", 6900)], [V, VG, GF], "Hot green chilli sauce."),
    ("Soy Sauce", "Sauces & Spreads", "Sauces", [(200, "ml", 8900)], [V, VG], "Dark soy sauce."),
    ("Schezwan Sauce", "Sauces & Spreads", "Sauces", [(250, "g", 11900)], [V, VG], "Fiery schezwan chutney."),
    ("Mayonnaise", "Sauces & Spreads", "Sauces", [(250, "g", 9900)], [V], "Eggless creamy mayonnaise."),
    ("Pasta Sauce Arrabbiata", "Sauces & Spreads", "Sauces", [(400, "g", 24900)], [V, VG, GF], "Spicy tomato pasta sauce."),
    ("Pizza Sauce", "Sauces & Spreads", "Sauces", [(250, "g", 11900)], [V, VG, GF], "Herbed pizza sauce."),
    ("Tomato Puree", "Sauces & Spreads", "Cooking Pastes", [(200, "g", 3500)], [V, VG, GF], "Smooth tomato puree."),
    ("Canned Chopped Tomatoes", "Sauces & Spreads", "Cooking Pastes", [(400, "g", 14900)], [V, VG, GF], "Peeled chopped tomatoes in juice."),
    ("Ginger Garlic Paste", "Sauces & Spreads", "Cooking Pastes", [(200, "g", 5500)], [V, VG, GF], "Ready ginger-garlic paste."),
    ("Tamarind", "Sauces & Spreads", "Cooking Pastes", [(200, "g", 5900)], [V, VG, GF], "Seedless tamarind block (imli)."),
    ("Coconut Milk", "Sauces & Spreads", "Cooking Pastes", [(400, "ml", 12900)], [V, VG, GF], "Thick coconut milk."),
    ("Peanut Butter Crunchy", "Sauces & Spreads", "Spreads", [(340, "g", 19900)], [V, VG, GF, N], "Crunchy peanut butter."),
    ("Chocolate Hazelnut Spread", "Sauces & Spreads", "Spreads", [(350, "g", 34900)], [V, N], "Cocoa hazelnut spread."),
    ("Mixed Fruit Jam", "Sauces & Spreads", "Spreads", [(500, "g", 15900)], [V, VG, GF], "Mixed fruit jam."),
    ("Mango Pickle", "Sauces & Spreads", "Pickles", [(400, "g", 12900)], [V, VG, GF], "Spicy cut-mango pickle in mustard oil."),
    ("Lime Pickle", "Sauces & Spreads", "Pickles", [(400, "g", 11900)], [V, VG, GF], "Tangy lime pickle."),
    ("Salsa Dip", "Sauces & Spreads", "Dips", [(300, "g", 19900)], [V, VG, GF], "Chunky tomato salsa."),
    ("Hummus Classic", "Sauces & Spreads", "Dips", [(200, "g", 17900)], [V, VG, GF], "Chickpea and tahini dip."),
    ("White Vinegar", "Sauces & Spreads", "Sauces", [(500, "ml", 5900)], [V, VG, GF], "Synthetic white vinegar."),
    ("Baking Powder", "Baking", "Baking Essentials", [(100, "g", 4500)], [V, VG, GF], "Double-acting baking powder."),
    ("Baking Soda", "Baking", "Baking Essentials", [(100, "g", 2500)], [V, VG, GF], "Sodium bicarbonate (meetha soda)."),
    ("Dry Yeast", "Baking", "Baking Essentials", [(50, "g", 6900)], [V, VG, GF], "Active dry yeast."),
    ("Vanilla Essence", "Baking", "Baking Essentials", [(20, "ml", 5500)], [V, VG, GF], "Vanilla flavouring essence."),
    ("Cocoa Powder", "Baking", "Baking Essentials", [(150, "g", 19900)], [V, VG, GF], "Unsweetened cocoa powder."),
    ("Chocolate Chips", "Baking", "Baking Essentials", [(100, "g", 14900)], [V], "Semi-sweet baking chips."),
    ("Icing Sugar", "Baking", "Baking Essentials", [(500, "g", 8900)], [V, VG, GF], "Powdered sugar."),
    ("Maple Syrup", "Baking", "Baking Essentials", [(250, "ml", 59900)], [V, VG, GF], "Pure maple syrup for pancakes."),
    ("Pancake Mix", "Baking", "Ready Mixes", [(400, "g", 24900)], [V], "Fluffy pancake mix, just add milk and egg."),
    ("Gulab Jamun Mix", "Baking", "Ready Mixes", [(200, "g", 9900)], [V], "Instant gulab jamun mix."),
    ("Idli Dosa Batter", "Dairy & Eggs", "Batters", [(1, "kg", 8900)], [V, VG, GF], "Fresh fermented idli and dosa batter."),
    # Frozen
    ("Frozen Green Peas", "Frozen", "Frozen Vegetables", [(500, "g", 9900)], [V, VG, GF], "Quick-frozen green peas."),
    ("Frozen Sweet Corn", "Frozen", "Frozen Vegetables", [(500, "g", 11900)], [V, VG, GF], "Frozen sweet corn kernels."),
    ("French Fries", "Frozen", "Frozen Snacks", [(420, "g", 12900)], [V, VG, GF], "Crinkle-cut frozen fries."),
    ("Chicken Nuggets", "Frozen", "Frozen Snacks", [(400, "g", 27900)], [H], "Breaded chicken nuggets."),
    ("Veg Spring Rolls", "Frozen", "Frozen Snacks", [(10, "pc", 18900)], [V, VG], "Crispy vegetable spring rolls."),
    ("Aloo Tikki", "Frozen", "Frozen Snacks", [(400, "g", 14900)], [V, VG], "Spiced potato patties."),
    ("Vanilla Ice Cream Tub", "Frozen", "Ice Cream", [(1, "l", 29900)], [V, GF], "Creamy vanilla ice cream."),
    ("Chocolate Ice Cream Tub", "Frozen", "Ice Cream", [(1, "l", 32900)], [V, GF], "Double chocolate ice cream."),
    ("Kulfi Sticks Malai", "Frozen", "Ice Cream", [(4, "pc", 19900)], [V, GF, N], "Malai kulfi with pistachio."),
    # Household & personal care
    ("Dishwash Liquid Lemon", "Household", "Cleaning", [(500, "ml", 11900)], [], "Lemon dishwash gel."),
    ("Laundry Detergent Powder", "Household", "Cleaning", [(1, "kg", 14900)], [], "Front and top load detergent."),
    ("Floor Cleaner", "Household", "Cleaning", [(1, "l", 19900)], [], "Disinfectant floor cleaner, citrus."),
    ("Garbage Bags Medium", "Household", "Cleaning", [(30, "pc", 9900)], [], "Biodegradable garbage bags."),
    ("Kitchen Towels", "Household", "Paper", [(2, "pc", 11900)], [], "Two rolls of absorbent kitchen towel."),
    ("Toilet Tissue", "Household", "Paper", [(4, "pc", 15900)], [], "Four 2-ply toilet rolls."),
    ("Aluminium Foil", "Household", "Kitchen", [(9, "m", 9900)], [], "Food-grade foil."),
    ("Mosquito Repellent Refill", "Household", "Repellents", [(45, "ml", 8900)], [], "Liquid vaporiser refill."),
    ("Candles Pack", "Household", "Essentials", [(6, "pc", 6900)], [], "Plain white candles for power cuts."),
    ("AA Batteries", "Household", "Essentials", [(4, "pc", 14900)], [], "Alkaline AA batteries."),
    ("Umbrella Compact", "Household", "Essentials", [(1, "pc", 39900)], [], "Foldable rain umbrella."),
    ("Bath Soap Sandal", "Personal Care", "Bath", [(3, "pc", 14900)], [], "Sandalwood bathing bars."),
    ("Shampoo Anti-Dandruff", "Personal Care", "Hair", [(340, "ml", 32900)], [], "Anti-dandruff shampoo."),
    ("Toothpaste Mint", "Personal Care", "Oral Care", [(150, "g", 10900)], [], "Fluoride mint toothpaste."),
    ("Hand Wash Refill", "Personal Care", "Bath", [(750, "ml", 14900)], [], "Germ-protection hand wash."),
    ("Sanitary Pads", "Personal Care", "Hygiene", [(20, "pc", 25900)], [], "Ultra-thin pads, XL."),
    ("Baby Diapers Medium", "Baby Care", "Diapers", [(40, "pc", 79900)], [], "Pant-style diapers, medium."),
    ("Pet Food Dog Adult", "Pet Care", "Dog Food", [(3, "kg", 89900)], [], "Complete dry food for adult dogs."),
]

LABELS = {
    "m-freshcart": ["FreshCart", "FreshCart Organic"],
    "m-greenbasket": ["Green Basket", "Green Basket Farm"],
    "m-dailyneeds": ["Daily Needs", "Daily Needs Value"],
    "m-quickmart": ["QuickMart", "QuickMart Select"],
    "m-naturespantry": ["Nature's Pantry", "Nature's Pantry Heirloom"],
}
MULTIPACK_DEPARTMENTS = ("Snacks", "Beverages", "Biscuits & Sweets", "Household", "Personal Care")

SPICES = [
    ("Turmeric Powder", "haldi", [V, VG, GF]), ("Red Chilli Powder", "lal mirch", [V, VG, GF]),
    ("Kashmiri Chilli Powder", "mild red chilli for colour", [V, VG, GF]), ("Coriander Powder", "dhania powder", [V, VG, GF]),
    ("Cumin Seeds", "jeera", [V, VG, GF]), ("Cumin Powder", "jeera powder", [V, VG, GF]),
    ("Garam Masala", "warm spice blend", [V, VG, GF]), ("Biryani Masala", "spice blend for biryani", [V, VG, GF]),
    ("Chole Masala", "blend for chickpea curry", [V, VG, GF]), ("Sambar Powder", "South Indian lentil stew blend", [V, VG, GF]),
    ("Rasam Powder", "peppery rasam blend", [V, VG, GF]), ("Pav Bhaji Masala", "blend for pav bhaji", [V, VG, GF]),
    ("Chaat Masala", "tangy chaat seasoning", [V, VG, GF]), ("Tandoori Masala", "marinade spice blend", [V, VG, GF]),
    ("Kitchen King Masala", "all-purpose curry blend", [V, VG, GF]), ("Meat Masala", "blend for mutton and chicken", [V, VG, GF]),
    ("Chicken Masala", "blend for chicken curry", [V, VG, GF]), ("Fish Curry Masala", "coastal fish curry blend", [V, VG, GF]),
    ("Green Cardamom", "elaichi pods", [V, VG, GF]), ("Black Cardamom", "badi elaichi", [V, VG, GF]),
    ("Cloves", "laung", [V, VG, GF]), ("Cinnamon Sticks", "dalchini", [V, VG, GF]),
    ("Bay Leaves", "tej patta", [V, VG, GF]), ("Black Pepper Whole", "kali mirch", [V, VG, GF]),
    ("Black Pepper Powder", "ground kali mirch", [V, VG, GF]), ("Mustard Seeds", "rai / sarson", [V, VG, GF]),
    ("Fenugreek Seeds", "methi dana", [V, VG, GF]), ("Kasuri Methi", "dried fenugreek leaves", [V, VG, GF]),
    ("Fennel Seeds", "saunf", [V, VG, GF]), ("Carom Seeds", "ajwain", [V, VG, GF]),
    ("Asafoetida", "hing", [V, VG]), ("Star Anise", "chakri phool", [V, VG, GF]),
    ("Nutmeg Whole", "jaiphal", [V, VG, GF]), ("Mace", "javitri", [V, VG, GF]),
    ("Saffron", "kesar threads", [V, VG, GF]), ("Dried Red Chillies", "sukhi lal mirch", [V, VG, GF]),
    ("Nigella Seeds", "kalonji", [V, VG, GF]), ("Poppy Seeds", "khus khus", [V, VG, GF]),
    ("Sesame Seeds White", "til", [V, VG, GF]), ("Dry Mango Powder", "amchur", [V, VG, GF]),
    ("Smoked Paprika", "pimenton", [V, VG, GF]), ("Oregano Dried", "pizza herb", [V, VG, GF]),
    ("Chilli Flakes", "crushed red pepper", [V, VG, GF]), ("Mixed Italian Herbs", "oregano, basil, thyme", [V, VG, GF]),
    ("Dried Thyme", "thyme leaves", [V, VG, GF]), ("Dried Rosemary", "rosemary needles", [V, VG, GF]),
    ("Ground Ginger", "sonth", [V, VG, GF]), ("Garlic Powder", "dehydrated garlic", [V, VG, GF]),
    ("Onion Powder", "dehydrated onion", [V, VG, GF]), ("Cinnamon Powder", "ground dalchini", [V, VG, GF]),
    ("Kewra Water", "screwpine essence for biryani", [V, VG, GF]), ("Rose Water", "gulab jal", [V, VG, GF]),
    ("Black Salt", "kala namak", [V, VG, GF]), ("White Pepper Powder", "safed mirch", [V, VG, GF]),
    ("Panch Phoron", "Bengali five-spice", [V, VG, GF]), ("Curry Powder", "mild Madras-style blend", [V, VG, GF]),
    ("Taco Seasoning", "cumin chilli blend", [V, VG, GF]), ("Cajun Spice", "smoky Louisiana blend", [V, VG, GF]),
    ("Peri Peri Seasoning", "hot African bird's eye blend", [V, VG, GF]), ("Za'atar", "thyme sesame sumac blend", [V, VG, GF]),
    ("Sumac", "tangy red berry powder", [V, VG, GF]), ("Vanilla Pods", "whole vanilla beans", [V, VG, GF]),
    ("Dried Fried Onions", "birista for biryani", [V, VG]), ("Goda Masala", "Maharashtrian sweet spice", [V, VG, GF]),
    ("Chettinad Masala", "fiery Tamil blend", [V, VG, GF]), ("Malvani Masala", "coastal Konkan blend", [V, VG, GF]),
    ("Jaljeera Powder", "cumin mint drink mix", [V, VG, GF]), ("Shahi Paneer Masala", "rich paneer curry blend", [V, N]),
    ("Butter Chicken Masala", "makhani gravy blend", [V, GF]), ("Dal Tadka Masala", "tempering blend for dal", [V, VG, GF]),
]
SPICE_SIZES = [(50, "g", 1.0), (100, "g", 1.8), (200, "g", 3.3), (500, "g", 7.5)]

BAKERY = [
    ("Sourdough Loaf", "Breads", 29900, [V, VG]), ("Multigrain Sourdough", "Breads", 32900, [V, VG]),
    ("French Baguette", "Breads", 14900, [V, VG]), ("Garlic Bread Loaf", "Breads", 16900, [V]),
    ("Focaccia Rosemary", "Breads", 24900, [V, VG]), ("Brioche Buns (4)", "Breads", 19900, [V]),
    ("Whole Wheat Loaf", "Breads", 9900, [V, VG]), ("Milk Bread", "Breads", 7900, [V]),
    ("Croissant Butter", "Viennoiserie", 12900, [V]), ("Almond Croissant", "Viennoiserie", 16900, [V, N]),
    ("Chocolate Croissant", "Viennoiserie", 14900, [V]), ("Cinnamon Roll", "Viennoiserie", 13900, [V]),
    ("Danish Blueberry", "Viennoiserie", 15900, [V]), ("Cheese Danish", "Viennoiserie", 14900, [V]),
    ("Veg Puff", "Savouries", 4500, [V]), ("Paneer Puff", "Savouries", 5500, [V]), ("Egg Puff", "Savouries", 5000, []),
    ("Chicken Puff", "Savouries", 6500, [H]), ("Mushroom Quiche", "Savouries", 18900, [V]),
    ("Spinach Corn Sandwich", "Savouries", 14900, [V]), ("Chicken Tikka Sandwich", "Savouries", 17900, [H]),
    ("Banana Walnut Cake Slice", "Cakes", 9900, [V, N]), ("Plum Cake", "Cakes", 34900, [V, N]),
    ("Black Forest Cake 500g", "Cakes", 59900, [V]), ("Red Velvet Cake 500g", "Cakes", 64900, [V]),
    ("Chocolate Truffle Cake 500g", "Cakes", 69900, [V]), ("Pineapple Cake 500g", "Cakes", 49900, [V]),
    ("Eggless Chocolate Cake 500g", "Cakes", 59900, [V]), ("Carrot Cake Slice", "Cakes", 11900, [V, N]),
    ("Lemon Drizzle Cake Slice", "Cakes", 10900, [V]), ("Cheesecake Slice", "Cakes", 21900, [V]),
    ("Chocolate Brownie", "Cookies & Bars", 8900, [V]), ("Walnut Brownie", "Cookies & Bars", 9900, [V, N]),
    ("Oatmeal Raisin Cookies (6)", "Cookies & Bars", 14900, [V]), ("Double Chocolate Cookies (6)", "Cookies & Bars", 16900, [V]),
    ("Coconut Macaroons (6)", "Cookies & Bars", 12900, [V, GF]), ("Nankhatai (10)", "Cookies & Bars", 11900, [V]),
    ("Cashew Cookies (10)", "Cookies & Bars", 15900, [V, N]), ("Gluten-Free Almond Cookies (6)", "Cookies & Bars", 19900, [V, GF, N]),
    ("Jeera Biscuits (200 g)", "Cookies & Bars", 8900, [V]), ("Fruit Tart", "Desserts", 12900, [V]),
    ("Apple Pie Slice", "Desserts", 13900, [V]), ("Tiramisu Cup", "Desserts", 19900, [V]),
    ("Blueberry Muffin", "Muffins", 8900, [V]), ("Chocolate Muffin", "Muffins", 8900, [V]),
    ("Banana Muffin", "Muffins", 7900, [V]), ("Vegan Chocolate Muffin", "Muffins", 9900, [V, VG]),
    ("Dinner Rolls (6)", "Breads", 8900, [V]), ("Pav Ladi (12)", "Breads", 6900, [V]),
    ("Hot Dog Buns (4)", "Breads", 7900, [V]), ("Pita Bread (4)", "Breads", 9900, [V, VG]),
    ("Gluten-Free Bread", "Breads", 24900, [V, GF]), ("Doughnut Glazed", "Desserts", 6900, [V]),
    ("Doughnut Chocolate", "Desserts", 7900, [V]), ("Khari Biscuits (200 g)", "Cookies & Bars", 7900, [V]),
]

PIZZAS = [
    ("Margherita", [V], "San Marzano-style tomato, mozzarella and fresh basil."),
    ("Farmhouse", [V], "Onion, capsicum, tomato, mushroom and sweet corn."),
    ("Peppy Paneer", [V], "Spiced paneer, capsicum and red paprika."),
    ("Veggie Supreme", [V], "Black olives, onion, capsicum, mushroom, corn and jalapeno."),
    ("Four Cheese", [V], "Mozzarella, cheddar, parmesan and feta."),
    ("Mexican Green Wave", [V], "Onion, capsicum, tomato and jalapeno with Mexican herbs."),
    ("Tandoori Paneer", [V], "Tandoori paneer tikka, onion and mint mayo."),
    ("Mushroom Truffle", [V], "Mushrooms, garlic and truffle oil."),
    ("Corn and Cheese", [V], "Sweet corn and extra mozzarella."),
    ("Pesto Veg", [V, N], "Basil pine-nut pesto, zucchini and cherry tomato."),
    ("Vegan Garden", [V, VG], "Dairy-free cheese, peppers, olives and spinach."),
    ("Pepperoni", [], "Spicy pork pepperoni and mozzarella."),
    ("BBQ Chicken", [H], "Smoky barbecue chicken, onion and coriander."),
    ("Chicken Tikka", [H], "Chicken tikka, onion and capsicum."),
    ("Chicken Dominator", [H], "Grilled chicken, chicken sausage and peri peri chicken."),
    ("Peri Peri Chicken", [H], "Peri peri chicken, red paprika and onion."),
    ("Keema Do Pyaza", [H], "Spiced mutton keema and double onion."),
    ("Chicken Sausage", [H], "Chicken sausage and mozzarella."),
    ("Prawn Garlic", [], "Garlic prawns, chilli and parsley."),
    ("Hawaiian", [], "Ham and pineapple."),
    ("Meat Feast", [], "Pepperoni, ham, chicken and sausage."),
    ("Spicy Paneer Tikka Makhani", [V], "Paneer tikka on makhani sauce."),
    ("Cheese Burst Classic", [V], "Molten cheese-filled crust with mozzarella."),
    ("Gluten-Free Margherita", [V, GF], "Margherita on a gluten-free base."),
]
PIZZA_SIZES = [("Regular 7\"", 1.0), ("Medium 10\"", 1.75), ("Large 13\"", 2.5)]
PIZZA_SIDES = [
    ("Garlic Breadsticks", 12900, [V]), ("Stuffed Garlic Bread", 16900, [V]), ("Cheesy Dip", 5900, [V, GF]),
    ("Potato Wedges", 11900, [V, VG, GF]), ("Chicken Wings (6)", 22900, [H]), ("Pasta Alfredo", 21900, [V]),
    ("Pasta Arrabbiata", 19900, [V, VG]), ("Choco Lava Cake", 10900, [V]), ("Brownie Sundae", 15900, [V]),
    ("Cola 500 ml", 6000, [V, VG, GF]), ("Lemon Iced Tea", 8900, [V, VG, GF]), ("Caesar Salad", 18900, [V]),
    ("Jalapeno Poppers (6)", 14900, [V]), ("Chicken Pasta Pink Sauce", 25900, [H]), ("Taco Mexicana Veg", 12900, [V]),
    ("Taco Mexicana Chicken", 14900, [H]), ("Oregano Seasoning Packet (10)", 2000, [V, VG, GF]),
]
FRIED_CHICKEN = [
    ("Original Recipe Chicken (2 pc)", 23900, [H]), ("Original Recipe Chicken (4 pc)", 44900, [H]),
    ("Original Recipe Chicken (8 pc) Bucket", 84900, [H]), ("Hot and Crispy Chicken (2 pc)", 24900, [H]),
    ("Hot and Crispy Chicken (6 pc)", 69900, [H]), ("Hot Wings (6 pc)", 21900, [H]), ("Hot Wings (12 pc)", 39900, [H]),
    ("Popcorn Chicken Regular", 17900, [H]), ("Popcorn Chicken Large", 26900, [H]), ("Chicken Strips (3 pc)", 19900, [H]),
    ("Chicken Strips (6 pc)", 36900, [H]), ("Zinger Burger", 21900, [H]), ("Classic Chicken Burger", 17900, [H]),
    ("Double Down Burger", 32900, [H]), ("Veg Crunch Burger", 14900, [V]), ("Paneer Zinger Burger", 18900, [V]),
    ("Chicken Rice Bowl", 22900, [H]), ("Spicy Chicken Wrap", 19900, [H]), ("Veg Wrap", 15900, [V]),
    ("Family Feast Bucket (12 pc + 4 sides)", 159900, [H]), ("Game Night Bucket (10 pc wings + fries)", 99900, [H]),
    ("Date Night Box (2 burgers + 4 pc chicken)", 79900, [H]), ("Fries Regular", 9900, [V, VG, GF]),
    ("Fries Large", 13900, [V, VG, GF]), ("Peri Peri Fries", 12900, [V, VG, GF]), ("Coleslaw", 7900, [V, GF]),
    ("Mashed Potato with Gravy", 8900, [V]), ("Corn on the Cob", 8900, [V, GF]), ("Chicken Nuggets (9 pc)", 18900, [H]),
    ("Cheese Dip", 4900, [V]), ("Spicy Mayo Dip", 3900, [V]), ("Cola Regular", 6900, [V, VG, GF]),
    ("Chocolate Krusher", 15900, [V]), ("Soft Serve Cone", 4900, [V, GF]), ("Hot Chocolate", 11900, [V]),
]
BIRYANI = [
    ("Chicken Dum Biryani", 29900, [H], "Hyderabadi-style dum biryani with basmati, saffron and tender chicken."),
    ("Chicken 65 Biryani", 32900, [H], "Biryani topped with spicy fried chicken 65."),
    ("Mutton Dum Biryani", 42900, [H], "Slow-cooked goat biryani with aromatic basmati."),
    ("Mutton Keema Biryani", 38900, [H], "Minced mutton layered with spiced rice."),
    ("Egg Biryani", 22900, [H], "Masala eggs on fragrant biryani rice."),
    ("Prawn Biryani", 44900, [], "Coastal prawn biryani with coconut notes."),
    ("Fish Biryani", 39900, [], "Seer fish biryani."),
    ("Veg Dum Biryani", 22900, [V], "Seasonal vegetables and basmati cooked on dum."),
    ("Paneer Tikka Biryani", 26900, [V], "Paneer tikka layered with saffron rice."),
    ("Mushroom Biryani", 24900, [V, VG], "Mushrooms in fragrant spiced rice."),
    ("Lucknowi Chicken Biryani", 33900, [H], "Mild, fragrant Awadhi-style biryani."),
    ("Kolkata Chicken Biryani with Potato", 31900, [H], "Light biryani with a potato and egg."),
    ("Ambur Chicken Biryani", 28900, [H], "Seeraga samba rice biryani from Ambur."),
    ("Biryani Rice Only (Kuska)", 15900, [V, VG], "Plain biryani-flavoured rice."),
    ("Chicken Biryani Family Pack (serves 4)", 99900, [H], "Four portions of chicken dum biryani with raita and salan."),
    ("Mutton Biryani Family Pack (serves 4)", 139900, [H], "Four portions of mutton biryani with raita and salan."),
    ("Veg Biryani Family Pack (serves 4)", 74900, [V], "Four portions of veg biryani with raita and salan."),
    ("Chicken 65", 24900, [H], "Spicy deep-fried chicken bites."),
    ("Chicken Tikka Kebab", 27900, [H], "Char-grilled chicken tikka."),
    ("Seekh Kebab", 29900, [H], "Minced mutton skewers."),
    ("Paneer Tikka", 23900, [V, GF], "Char-grilled paneer cubes."),
    ("Hara Bhara Kebab", 18900, [V], "Spinach and pea patties."),
    ("Butter Chicken", 29900, [H, GF], "Tandoori chicken in buttery tomato gravy."),
    ("Chicken Curry Home Style", 26900, [H, GF], "Homestyle onion-tomato chicken curry."),
    ("Mutton Rogan Josh", 36900, [H, GF], "Kashmiri mutton curry."),
    ("Paneer Butter Masala", 24900, [V, GF], "Paneer in creamy makhani gravy."),
    ("Dal Makhani", 19900, [V, GF], "Slow-cooked black lentils with butter and cream."),
    ("Dal Tadka", 16900, [V, VG, GF], "Yellow lentils tempered with ghee and cumin."),
    ("Mirchi ka Salan", 12900, [V, VG, GF, N], "Chilli and peanut curry, the classic biryani side."),
    ("Bagara Baingan", 14900, [V, VG, GF, N], "Brinjal in peanut-sesame gravy."),
    ("Boondi Raita", 6900, [V], "Curd with crisp boondi."),
    ("Onion Raita", 5900, [V, GF], "Curd with onion and cumin."),
    ("Butter Naan", 5900, [V], "Tandoor naan brushed with butter."),
    ("Garlic Naan", 6900, [V], "Naan with garlic and coriander."),
    ("Tandoori Roti", 3500, [V, VG], "Whole-wheat tandoor roti."),
    ("Rumali Roti", 4500, [V, VG], "Paper-thin handkerchief roti."),
    ("Double ka Meetha", 12900, [V, N], "Hyderabadi bread pudding."),
    ("Qubani ka Meetha", 14900, [V, GF], "Stewed apricot dessert."),
    ("Phirni", 9900, [V, GF, N], "Chilled rice pudding."),
    ("Gulab Jamun (2 pc)", 7900, [V], "Warm syrupy gulab jamun."),
    ("Masala Chaas", 5900, [V, GF], "Spiced buttermilk."),
    ("Sweet Lassi", 8900, [V, GF], "Thick sweet lassi."),
    ("Mango Lassi", 10900, [V, GF], "Lassi with alphonso mango."),
]
CAFE = [
    ("Espresso", 12900, [V, VG, GF]), ("Americano", 14900, [V, VG, GF]), ("Cappuccino", 17900, [V, GF]),
    ("Cafe Latte", 18900, [V, GF]), ("Flat White", 19900, [V, GF]), ("Mocha", 21900, [V, GF]),
    ("Caramel Macchiato", 22900, [V, GF]), ("Cold Brew", 19900, [V, VG, GF]), ("Iced Latte", 19900, [V, GF]),
    ("Vietnamese Iced Coffee", 21900, [V, GF]), ("South Indian Filter Coffee", 8900, [V, GF]),
    ("Masala Chai", 8900, [V, GF]), ("Ginger Lemon Honey Tea", 11900, [V, GF]), ("Matcha Latte", 24900, [V, GF]),
    ("Hot Chocolate", 19900, [V, GF]), ("Oat Milk Latte", 22900, [V, VG, GF]), ("Chocolate Frappe", 24900, [V]),
    ("Strawberry Smoothie", 22900, [V, GF]), ("Banana Peanut Butter Smoothie", 22900, [V, GF, N]),
    ("Fresh Lime Soda", 9900, [V, VG, GF]), ("Avocado Toast", 32900, [V, VG]), ("Eggs Benedict", 34900, []),
    ("Masala Omelette with Toast", 21900, []), ("Scrambled Eggs on Sourdough", 24900, []),
    ("Fluffy Pancakes with Maple Syrup", 27900, [V]), ("Belgian Waffle with Berries", 29900, [V]),
    ("Granola Yogurt Bowl", 24900, [V, N]), ("Acai Bowl", 39900, [V, VG, GF, N]),
    ("Grilled Cheese Sandwich", 19900, [V]), ("Chicken Pesto Sandwich", 29900, [H, N]),
    ("Veg Club Sandwich", 24900, [V]), ("Chicken Club Sandwich", 29900, [H]),
    ("Paneer Tikka Wrap", 24900, [V]), ("Falafel Hummus Wrap", 24900, [V, VG]),
    ("Caesar Salad with Chicken", 32900, [H]), ("Quinoa Power Salad", 32900, [V, VG, GF]),
    ("Greek Salad", 29900, [V, GF]), ("Mac and Cheese", 27900, [V]), ("Penne Arrabbiata", 27900, [V, VG]),
    ("Spaghetti Aglio e Olio", 26900, [V, VG]), ("Mushroom Risotto", 34900, [V, GF]),
    ("Chicken Alfredo Pasta", 34900, [H]), ("Loaded Nachos", 24900, [V]), ("Cheese Garlic Toast", 16900, [V]),
    ("French Fries with Aioli", 14900, [V]), ("Butter Croissant", 14900, [V]), ("Blueberry Muffin", 12900, [V]),
    ("Banana Bread Slice", 12900, [V, N]), ("Chocolate Chip Cookie", 8900, [V]), ("New York Cheesecake", 27900, [V]),
    ("Tiramisu", 29900, [V]), ("Carrot Cake", 22900, [V, N]), ("Vegan Brownie", 16900, [V, VG]),
    ("Gluten-Free Orange Almond Cake", 24900, [V, GF, N]), ("Masala Instant Noodles", 14900, [V]),
    ("Bun Maska", 8900, [V]), ("Vada Pav", 8900, [V, VG]), ("Samosa Chaat", 14900, [V]),
]
DESSERTS = [
    ("Belgian Chocolate Ice Cream Scoop", 14900, [V, GF]), ("Vanilla Bean Ice Cream Scoop", 12900, [V, GF]),
    ("Alphonso Mango Ice Cream Scoop", 14900, [V, GF]), ("Salted Caramel Ice Cream Scoop", 14900, [V, GF]),
    ("Pistachio Ice Cream Scoop", 16900, [V, GF, N]), ("Strawberry Sorbet Scoop", 12900, [V, VG, GF]),
    ("Coffee Walnut Ice Cream Scoop", 14900, [V, GF, N]), ("Tender Coconut Ice Cream Scoop", 14900, [V, GF]),
    ("Death by Chocolate Sundae", 32900, [V, N]), ("Brownie Fudge Sundae", 27900, [V]),
    ("Banana Split", 29900, [V, N]), ("Hot Fudge Sundae", 24900, [V, GF]), ("Falooda Royal", 24900, [V, N]),
    ("Kulfi Falooda", 22900, [V, N]), ("Rabri Jalebi", 19900, [V]), ("Gulab Jamun with Ice Cream", 19900, [V]),
    ("Rasmalai (2 pc)", 17900, [V, GF, N]), ("Kesar Pista Kulfi", 12900, [V, GF, N]), ("Gajar Halwa", 16900, [V, GF, N]),
    ("Moong Dal Halwa", 18900, [V, GF, N]), ("Chocolate Lava Cake", 19900, [V]), ("Red Velvet Pastry", 14900, [V]),
    ("Black Forest Pastry", 13900, [V]), ("Blueberry Cheesecake Slice", 27900, [V]), ("Tiramisu Jar", 24900, [V]),
    ("Chocolate Mousse Cup", 17900, [V, GF]), ("Mango Mousse Cup", 17900, [V, GF]), ("Vegan Chocolate Mousse", 19900, [V, VG, GF]),
    ("Waffle with Hazelnut Cocoa Spread", 22900, [V, N]), ("Red Velvet Waffle", 24900, [V]), ("Churros with Chocolate Dip", 19900, [V]),
    ("Macarons (6)", 34900, [V, GF, N]), ("Fruit Custard", 14900, [V, GF]), ("Caramel Custard", 14900, [V, GF]),
    ("Thick Shake Chocolate", 21900, [V]), ("Thick Shake Strawberry", 21900, [V]), ("Thick Shake Cookies and Cream", 22900, [V]),
    ("Cold Coffee Shake", 19900, [V]), ("Ice Cream Family Tub 1 L Chocolate", 54900, [V, GF]),
    ("Ice Cream Family Tub 1 L Vanilla", 49900, [V, GF]), ("Party Pack: 12 Cupcakes", 89900, [V]),
    ("Sugar-Free Chocolate Cake Slice", 19900, [V]), ("Baked Yogurt with Berries", 21900, [V, GF]),
]

# Occasion bundles: ready "set packages" the assistant can offer in one step.
BUNDLES = [
    ("m-freshcart", "Rainy Day Snack Box", "Pakora mix, masala chips, masala chai premix, aloo bhujia and ginger, for a cosy monsoon evening.", 34900, [V], "Occasion Packs"),
    ("m-freshcart", "Movie Night Pack for 4", "Two microwave popcorn, nachos with salsa, two colas, and a chocolate bar to share.", 49900, [V], "Occasion Packs"),
    ("m-greenbasket", "Healthy Breakfast Kit", "Rolled oats, Greek yogurt, bananas, honey and mixed nuts for a week of breakfasts.", 79900, [V, N], "Occasion Packs"),
    ("m-greenbasket", "Party Snack Hamper", "Chips, namkeen, cookies, soft drinks and dips for 8 guests.", 119900, [V], "Occasion Packs"),
    ("m-dailyneeds", "Monthly Staples Kit", "Atta 5 kg, rice 5 kg, toor dal 1 kg, sugar 1 kg, oil 1 l and salt.", 199900, [V, VG], "Occasion Packs"),
    ("m-dailyneeds", "Exam Night Fuel Pack", "Instant noodles, coffee, cookies and energy bars for late-night study.", 39900, [V], "Occasion Packs"),
    ("m-masalaroute", "Biryani Spice Kit (serves 4)", "Measured whole spices, biryani masala, saffron, kewra water and fried onions for one biryani.", 24900, [V, VG], "Spice Kits"),
    ("m-masalaroute", "Everyday Indian Spice Box", "Turmeric, chilli, coriander, cumin, garam masala, mustard seeds and hing in a masala dabba.", 69900, [V], "Spice Kits"),
    ("m-crumbcrust", "Tea Time Treats Box", "Four puffs, four cookies and two cake slices.", 39900, [V], "Boxes"),
]


def money(rng, base, spread=0.12):
    """A shelf price in paise: ends in 9 rupees above 50, whole rupees below."""
    value = base * rng.uniform(1 - spread, 1 + spread)
    if value > 5000:
        return int(round(value / 1000.0)) * 1000 - 100
    return max(500, int(round(value / 100.0)) * 100)


def pick_stock(rng):
    r = rng.random()
    if r < 0.05:
        return 0
    if r < 0.15:
        return rng.randint(1, 5)
    return rng.randint(6, 250)


def added(rng):
    start = datetime(2025, 1, 1)
    return (start + timedelta(days=rng.randint(0, 640))).strftime("%Y-%m-%d")


def size_label(size, unit):
    if unit in ("g", "ml") and size >= 1000 and size % 1000 == 0:
        return f"{size // 1000} {'kg' if unit == 'g' else 'l'}"
    return f"{size} {unit}"


def gen_products(rng):
    products = []
    counter = {}

    def add(merchant, title, description, department, category, price, size, unit, tags, stock=None):
        counter[merchant] = counter.get(merchant, 0) + 1
        pid = f"p-{merchant[2:]}-{counter[merchant]:04d}"
        products.append({
            "id": pid, "merchant_id": merchant, "title": title, "description": description,
            "department": department, "category": category, "price_minor": price,
            "pack_size": size, "pack_unit": unit, "tags": sorted(set(tags)),
            "stock": pick_stock(rng) if stock is None else stock, "added": added(rng),
        })

    for merchant, labels in LABELS.items():
        for name, dept, cat, sizes, tags, desc in GROCERY:
            if rng.random() < 0.12:
                continue  # not every store stocks everything
            for size, unit, price in sizes:
                add(merchant, f"{labels[0]} {name} {size_label(size, unit)}", desc, dept, cat,
                    money(rng, price), size, unit, tags)
                if dept in ("Fruits & Vegetables", "Staples", "Dairy & Eggs") and rng.random() < 0.5:
                    add(merchant, f"{labels[1]} {name} {size_label(size, unit)}",
                        desc + " Certified organic, small-farm produce.", dept, cat,
                        money(rng, price * 1.45), size, unit, tags + ["organic"])
                if dept in ("Staples", "Fruits & Vegetables", "Dairy & Eggs", "Meat & Seafood") and rng.random() < 0.3:
                    add(merchant, f"{labels[0]} {name} {size_label(size * 2, unit)} Family Pack",
                        desc + " Family pack.", dept, cat, money(rng, price * 1.85), size * 2, unit, tags)
                if dept in MULTIPACK_DEPARTMENTS and rng.random() < 0.6:
                    add(merchant, f"{labels[0]} {name} {size_label(size, unit)} (Pack of 3)",
                        desc + " Value pack of three.", dept, cat, money(rng, price * 2.7), size * 3, unit, tags)
    for name, local, tags in SPICES:
        base = rng.randint(30, 90) * 100
        if name in ("Saffron", "Vanilla Pods"):
            add("m-masalaroute", f"{name} 1 g", f"Premium {name.lower()} ({local}).", "Spices", "Premium Spices",
                money(rng, 24900), 1, "g", tags)
            add("m-masalaroute", f"{name} 2 g", f"Premium {name.lower()} ({local}).", "Spices", "Premium Spices",
                money(rng, 45900), 2, "g", tags)
            continue
        category = "Masala Blends" if "Masala" in name or name in ("Curry Powder", "Sambar Powder", "Rasam Powder", "Panch Phoron") else (
            "Whole Spices" if any(w in name for w in ("Seeds", "Whole", "Sticks", "Leaves", "Cardamom", "Cloves", "Anise", "Mace", "Chillies", "Pods")) else "Ground Spices")
        for size, unit, factor in SPICE_SIZES:
            add("m-masalaroute", f"{name} {size} {unit}", f"Freshly packed {name.lower()} ({local}), small batch.",
                "Spices", category, money(rng, base * factor), size, unit, tags)
            if rng.random() < 0.3:
                add("m-masalaroute", f"Organic {name} {size} {unit}", f"Organic {name.lower()} ({local}), single origin.",
                    "Spices", category, money(rng, base * factor * 1.5), size, unit, tags + ["organic"])
    for name, cat, price, tags in BAKERY:
        add("m-crumbcrust", name, f"Baked fresh every morning: {name.lower()}.", "Bakery", cat, money(rng, price, 0.05), 1, "pc", tags)
        if cat in ("Cakes", "Cookies & Bars", "Muffins") and "500g" not in name:
            add("m-crumbcrust", f"{name} Box of 4", f"Four of our {name.lower()}, boxed.", "Bakery", cat,
                money(rng, price * 3.6, 0.03), 4, "pc", tags)
    for name, tags, desc in PIZZAS:
        base = rng.randint(179, 289) * 100
        for size, factor in PIZZA_SIZES:
            add("m-slicerepublic", f"{name} Pizza {size}", desc, "Pizza", "Pizzas", money(rng, base * factor, 0.02), 1, "pc", tags + (["veg"] if "veg" in tags else []))
            if "Gluten" not in name:
                add("m-slicerepublic", f"{name} Pizza {size} Thin Crust", desc + " Thin, crisp crust.", "Pizza", "Pizzas",
                    money(rng, base * factor * 1.1, 0.02), 1, "pc", tags)
    for name, price, tags in PIZZA_SIDES:
        add("m-slicerepublic", name, f"{name}, freshly made.", "Pizza", "Sides & Drinks", money(rng, price, 0.03), 1, "pc", tags)
    for name, price, tags in FRIED_CHICKEN:
        cat = "Buckets & Combos" if any(w in name for w in ("Bucket", "Box")) else ("Sides & Drinks" if "Chicken" not in name and "Burger" not in name and "Wrap" not in name else "Chicken")
        add("m-crispycoop", name, f"{name}: crunchy, juicy and made to order.", "Fried Chicken", cat, money(rng, price, 0.03), 1, "pc", tags)
    for name, price, tags, desc in BIRYANI:
        cat = "Biryani" if "Biryani" in name else ("Kebabs" if any(w in name for w in ("Kebab", "Tikka", "65")) else "Curries & Sides")
        add("m-biryanidarbar", name, desc, "Biryani House", cat, money(rng, price, 0.03), 1, "portion", tags)
        if cat == "Biryani" and "Family" not in name and "Only" not in name:
            add("m-biryanidarbar", f"{name} Half", desc + " Half portion.", "Biryani House", cat, money(rng, price * 0.6, 0.03), 1, "portion", tags)
    for name, price, tags in CAFE:
        cat = "Coffee & Drinks" if price < 25000 and any(w in name for w in ("Coffee", "Latte", "Espresso", "Americano", "Cappuccino", "Mocha", "Macchiato", "Brew", "Chai", "Tea", "Chocolate", "Smoothie", "Soda", "Frappe", "White")) else "Food"
        add("m-beanthere", name, f"{name} from our kitchen and bar.", "Cafe", cat, money(rng, price, 0.03), 1, "pc", tags)
        if cat == "Coffee & Drinks":
            add("m-beanthere", f"{name} Large", f"{name}, large 16 oz.", "Cafe", cat, money(rng, price * 1.3, 0.03), 1, "pc", tags)
    for name, price, tags in DESSERTS:
        add("m-sugarrush", name, f"{name}, made in-house.", "Desserts", "Desserts", money(rng, price, 0.03), 1, "pc", tags)
    for merchant, name, desc, price, tags, cat in BUNDLES:
        add(merchant, name, desc, "Bundles", cat, price, 1, "pack", tags, stock=rng.randint(10, 60))
    return products


# Drinks real customers order most (cortado, macchiato, chai latte, teas,
# steamers: see the Taskmaster-4 coffee dialogues), added to the cafe's menu.
CAFE_MENU = [
    ("Latte", 18900, [V, GF]), ("Cortado", 16900, [V, GF]), ("Macchiato", 15900, [V, GF]),
    ("Chai Latte", 19900, [V, GF]), ("Steamer", 14900, [V, GF]), ("Iced Mocha", 22900, [V, GF]),
    ("English Breakfast Tea", 12900, [V, VG, GF]), ("Earl Grey Tea", 12900, [V, VG, GF]),
    ("Lavender Earl Grey Tea", 14900, [V, VG, GF]), ("Jasmine Green Tea", 12900, [V, VG, GF]),
    ("Peppermint Rose Tea", 13900, [V, VG, GF]), ("Wild Strawberry Tea", 13900, [V, VG, GF]),
    ("Tangerine Rooibos Tea", 13900, [V, VG, GF]), ("Jin Xuan Oolong Tea", 15900, [V, VG, GF]),
    ("Cloud and Mist Green Tea", 15900, [V, VG, GF]), ("Ginger Green Cold Steep Tea", 14900, [V, VG, GF]),
    ("Pumpkin Spice Latte", 22900, [V, GF]), ("White Chocolate Mocha", 22900, [V, GF]),
    ("Iced Coffee", 16900, [V, VG, GF]), ("Strawberry Acai Refresher", 17900, [V, VG, GF]),
    ("Mango Dragonfruit Refresher", 17900, [V, VG, GF]), ("Vanilla Frappe", 23900, [V]),
]


def cafe_menu(products):
    rng = random.Random(SEED + 15)
    start = sum(1 for p in products if p["merchant_id"] == "m-beanthere")
    out = []
    for i, (name, price, tags) in enumerate(CAFE_MENU, start=start + 1):
        if name == "Latte":
            continue  # the Cafe Latte, renamed Latte by fold_variants; its id stays unused
        out.append({
            "id": f"p-beanthere-{i:04d}", "merchant_id": "m-beanthere", "title": name,
            "description": f"{name} from our bar.", "department": "Cafe", "category": "Coffee & Drinks",
            "price_minor": money(rng, price, 0.03), "pack_size": 1, "pack_unit": "pc", "tags": sorted(set(tags)),
            "stock": rng.randint(60, 250), "added": "2026-11-30",
        })
    return out


# --- options -----------------------------------------------------------------
# Sizes, crusts, portions and piece counts were once separate products ("Cafe
# Latte Large", "Margherita Pizza Large 13\" Thin Crust"). fold_variants turns
# each family into one product with option groups priced from the old
# variants, and points seed order lines at it with the options they had, so
# the history and every other id stay as they were.

def choice(cid, name, price=0, aliases=()):
    out = {"id": cid, "name": name, "price_minor": price}
    if aliases:
        out["aliases"] = list(aliases)
    return out


# What customers call a whole group when they ask what it holds ("what
# syrups do you have?", "which crusts?").
GROUP_ALIASES = {
    "size": ["size", "sizes"],
    "milk": ["milk", "milks"],
    "shots": ["shots", "espresso shots"],
    "caffeine": ["caffeine"],
    "temperature": ["temperature"],
    "addons": ["syrup", "syrups", "sweetener", "sweeteners", "flavour", "flavours", "flavor", "flavors",
               "sauce", "sauces", "add ons", "addons", "extras"],
    "toppings": ["topping", "toppings", "extras"],
    "spice": ["spice", "spice level"],
    "crust": ["crust", "crusts", "base", "bases"],
    "portion": ["portion", "portions"],
    "pieces": ["pieces"],
}


def group(gid, name, choices, default=None, min_=1, max_=1):
    out = {"id": gid, "name": name, "min": min_, "max": max_, "choices": choices}
    if gid in GROUP_ALIASES:
        out["aliases"] = GROUP_ALIASES[gid]
    if default:
        out["default"] = default
    return out


NUMBER_NAMES = {2: "two", 3: "three", 4: "four", 6: "six", 8: "eight", 12: "twelve"}
WHOLE = choice("whole", "Whole milk", 0, ["whole", "full cream", "regular milk", "dairy"])
MILKS = [
    choice("two-percent", "2% milk", 0, ["2%", "2 %", "2 percent", "two percent", "reduced fat", "2 milk"]),
    choice("non-fat", "Non-fat milk", 0, ["non fat", "nonfat", "non-fat", "skim", "skimmed", "fat free", "skinny"]),
    choice("lactose-free", "2% lactose-free milk", 3000, ["lactose free", "lactose-free"]),
    choice("oat", "Oat milk", 4000, ["oat", "oatmilk"]),
    choice("almond", "Almond milk", 4000, ["almond"]),
    choice("soy", "Soy milk", 3000, ["soy", "soya"]),
]
MILK_DRINKS = {"Cappuccino", "Latte", "Flat White", "Mocha", "Caramel Macchiato", "Cortado", "Macchiato",
               "Pumpkin Spice Latte", "White Chocolate Mocha", "Vanilla Frappe",
               "Chai Latte", "Matcha Latte", "Steamer", "Hot Chocolate", "Masala Chai", "South Indian Filter Coffee"}
SPLASH_DRINKS = {"Espresso", "Americano", "Cold Brew", "Iced Coffee", "English Breakfast Tea", "Earl Grey Tea", "Lavender Earl Grey Tea"}
ESPRESSO_DRINKS = {"Espresso", "Americano", "Cappuccino", "Latte", "Flat White", "Mocha", "Caramel Macchiato",
                   "Cortado", "Macchiato", "Pumpkin Spice Latte", "White Chocolate Mocha"}
COFFEES = ESPRESSO_DRINKS | {"Cold Brew", "Vietnamese Iced Coffee", "South Indian Filter Coffee", "Iced Coffee"}
HOT_OR_ICED = ESPRESSO_DRINKS - {"Espresso"} | {"Chai Latte", "Matcha Latte", "Masala Chai", "English Breakfast Tea",
                                              "Earl Grey Tea", "Jasmine Green Tea", "Peppermint Rose Tea"}
SWEETENED = COFFEES | {"Chai Latte", "Matcha Latte", "Steamer", "Hot Chocolate", "Chocolate Frappe", "Masala Chai",
                       "Vanilla Frappe"}
SHOTS = group("shots", "Espresso shots", [
    choice("single", "Single shot", 0, ["single", "one shot", "1 shot", "solo"]),
    choice("double", "Double shot", 4000, ["double", "extra shot", "two shots", "2 shots", "doppio", "double shot"]),
    choice("triple", "Triple shot", 8000, ["triple", "three shots", "3 shots"]),
    choice("quadruple", "Quadruple shot", 12000, ["quadruple", "quad", "four shots", "4 shots"]),
], ["single"])
CAFFEINE = group("caffeine", "Caffeine", [
    choice("regular", "Regular", 0, ["caffeinated", "with caffeine", "regular caffeine"]),
    choice("decaf", "Decaf", 0, ["decaf", "decaff", "decaffeinated", "decafe", "unleaded", "non caffeinated",
                                 "caffeine free", "no caffeine", "without caffeine"])], ["regular"])
TEMPERATURE = group("temperature", "Hot or iced", [
    choice("hot", "Hot", 0, ["hot", "warm"]), choice("iced", "Iced", 0, ["iced", "ice", "on ice", "over ice", "cold"])], ["hot"])
ADDONS = group("addons", "Syrups and toppings", [
    choice("vanilla", "Vanilla syrup", 3000, ["vanilla"]),
    choice("sugar-free-vanilla", "Sugar-free vanilla syrup", 3000, ["sugar free vanilla", "sugar-free vanilla", "skinny vanilla", "sf vanilla"]),
    choice("hazelnut", "Hazelnut syrup", 3000, ["hazelnut"]),
    choice("caramel", "Caramel sauce", 3000, ["caramel"]),
    choice("chocolate", "Chocolate sauce", 3000, ["chocolate", "mocha sauce"]),
    choice("whipped-cream", "Whipped cream", 2000, ["whip", "whipped", "whipped cream"]),
], None, 0, 4)
PIZZA_TOPPINGS = group("toppings", "Extra toppings", [
    choice("extra-cheese", "Extra cheese", 6000, ["extra cheese", "double cheese"]),
    choice("jalapeno", "Jalapeno", 3000, ["jalapeno", "jalapenos"]),
    choice("olives", "Black olives", 3000, ["olives", "olive"]),
    choice("mushroom", "Mushroom", 3000, ["mushroom", "mushrooms"]),
    choice("onion", "Onion", 2000, ["onion", "onions"]),
    choice("sweet-corn", "Sweet corn", 2000, ["corn", "sweet corn"]),
    choice("paneer", "Paneer", 5000, ["paneer"]),
], None, 0, 5)
SPICE = group("spice", "Spice level", [
    choice("mild", "Mild", 0, ["mild", "less spicy", "not spicy", "not too spicy"]),
    choice("medium", "Medium spicy", 0, ["medium spicy", "medium spice"]),
    choice("spicy", "Extra spicy", 0, ["spicy", "extra spicy", "very spicy", "hot"]),
], ["medium"])


def pieces_choice(n, price):
    word = NUMBER_NAMES.get(n, str(n))
    return choice(f"{n}-pc", f"{n} pieces", price,
                  [f"{n} pc", f"{n} pcs", f"{n} piece", f"{n} pieces", f"{word} piece", f"{word} pieces"])


def fold_variants(products, orders):
    by_title = {(p["merchant_id"], p["title"]): p for p in products}
    # variant id -> (base id, options); the base keeps its id and stock.
    moved = {}

    def fold(base, variants, groups):
        """variants: [(product, {group: [choice]})] that become options of base."""
        base["options"] = groups
        for v, opts in variants:
            moved[v["id"]] = (base["id"], opts)

    cafe = [p for p in products if p["merchant_id"] == "m-beanthere" and p["category"] == "Coffee & Drinks"]
    renames = {"Cafe Latte": "Latte"}
    merged = {"Iced Latte": ("Latte", {"temperature": ["iced"]}), "Oat Milk Latte": ("Latte", {"milk": ["oat"]}),
              "Iced Mocha": ("Mocha", {"temperature": ["iced"]})}
    for p in cafe:
        if p["title"] in renames:
            p["title"] = renames[p["title"]]
            p["description"] = f"{p['title']} from our kitchen and bar."
    drinks = {p["title"]: p for p in cafe if not p["title"].endswith(" Large")}
    for name, base in drinks.items():
        if name in merged:
            continue
        large = by_title.get(("m-beanthere", f"{'Cafe Latte' if name == 'Latte' else name} Large"))
        up = large["price_minor"] - base["price_minor"] if large else int(round(base["price_minor"] * 0.3, -2))
        groups = [group("size", "Size", [
            choice("small", "Small", -int(round(base["price_minor"] * 0.15, -2)), ["small", "short", "tall", "8 oz", "12 oz"]),
            choice("medium", "Medium", 0, ["medium", "regular", "grande", "16 oz"]),
            choice("large", "Large", up, ["large", "venti", "big", "20 oz"]),
        ], ["medium"])]
        if name in MILK_DRINKS:
            groups.append(group("milk", "Milk", [WHOLE] + MILKS, ["whole"]))
        elif name in SPLASH_DRINKS:
            groups.append(group("milk", "Milk", [choice("none", "No milk", 0, ["black", "no milk"]), WHOLE] + MILKS, ["none"]))
        if name in HOT_OR_ICED:
            groups.append(TEMPERATURE)
        if name in ESPRESSO_DRINKS:
            groups.append(SHOTS)
        if name in COFFEES:
            groups.append(CAFFEINE)
        if name in SWEETENED:
            groups.append(ADDONS)
        variants = [(large, {"size": ["large"]})] if large else []
        for old, (target, opts) in merged.items():
            if target == name:
                for p in (by_title.get(("m-beanthere", old)), by_title.get(("m-beanthere", f"{old} Large"))):
                    if p:
                        variants.append((p, dict(opts, **({"size": ["large"]} if p["title"].endswith("Large") else {}))))
        fold(base, variants, groups)

    for name, _, _ in PIZZAS:
        sizes = [by_title.get(("m-slicerepublic", f"{name} Pizza {label}")) for label, _ in PIZZA_SIZES]
        thins = [by_title.get(("m-slicerepublic", f"{name} Pizza {label} Thin Crust")) for label, _ in PIZZA_SIZES]
        base = sizes[0]
        base["title"] = f"{name} Pizza"
        base["description"] = base["description"].removesuffix(" Thin, crisp crust.")
        ids = ["regular", "medium", "large"]
        aliases = [["regular", "small", "personal", "7 inch"], ["medium", "10 inch"], ["large", "13 inch", "family size"]]
        groups = [group("size", "Size", [choice(i, label, p["price_minor"] - base["price_minor"], a)
                                          for i, (label, _), p, a in zip(ids, PIZZA_SIZES, sizes, aliases)])]
        # The base was the regular size: its old orders say so, as a size must be chosen.
        variants = [(p, {"size": [i]}) for i, p in zip(ids, sizes)]
        if thins[0]:
            groups.append(group("crust", "Crust", [
                choice("classic", "Classic hand-tossed", 0, ["classic", "hand tossed", "hand-tossed", "regular crust"]),
                choice("thin", "Thin crust", thins[0]["price_minor"] - base["price_minor"], ["thin", "thin crust", "crispy crust"]),
            ], ["classic"]))
            variants += [(p, {"size": [i], "crust": ["thin"]}) for i, p in zip(ids, thins)]
        groups.append(PIZZA_TOPPINGS)
        fold(base, variants, groups)

    for name, _, _, _ in BIRYANI:
        base = by_title.get(("m-biryanidarbar", name))
        half = by_title.get(("m-biryanidarbar", f"{name} Half"))
        if not half:
            continue
        fold(base, [(half, {"portion": ["half"]})], [
            group("portion", "Portion", [choice("full", "Full", 0, ["full", "full plate"]),
                                         choice("half", "Half", half["price_minor"] - base["price_minor"], ["half", "half plate"])],
                  ["full"]), SPICE])

    coop = [p for p in products if p["merchant_id"] == "m-crispycoop"]
    families = {}
    for p in coop:
        m = re.fullmatch(r"(.+) \((\d+) pc\)", p["title"])
        if m:
            families.setdefault(m.group(1), []).append((int(m.group(2)), p))
    for name, members in families.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda x: x[0])
        base = members[0][1]
        base["title"] = name
        base["description"] = f"{name}: crunchy, juicy and made to order."
        fold(base, [(p, {"pieces": [f"{n}-pc"]}) for n, p in members[1:]], [group("pieces", "Pieces", [
            pieces_choice(n, p["price_minor"] - base["price_minor"]) for n, p in members], [f"{members[0][0]}-pc"])])
    for name in ("Popcorn Chicken", "Fries"):
        base, large = by_title[("m-crispycoop", f"{name} Regular")], by_title[("m-crispycoop", f"{name} Large")]
        base["title"] = name
        base["description"] = f"{name}: crunchy, juicy and made to order."
        fold(base, [(large, {"size": ["large"]})], [group("size", "Size", [
            choice("regular", "Regular", 0, ["regular", "small"]),
            choice("large", "Large", large["price_minor"] - base["price_minor"], ["large", "big"])], ["regular"])])

    titles = {p["id"]: p["title"] for p in products}
    for o in orders:
        items = []
        for it in o["items"]:
            if it["product_id"] in moved:
                target, opts = moved[it["product_id"]]
                it = dict(it, product_id=target, title=titles[target], options=opts)
            same = next((x for x in items if x["product_id"] == it["product_id"]
                         and x.get("options", {}) == it.get("options", {})), None)
            if same:
                same["quantity"] += it["quantity"]
            else:
                items.append(it)
        o["items"] = items
    for it in (it for o in orders for it in o["items"]):
        it["title"] = titles[it["product_id"]]
    return [p for p in products if moved.get(p["id"], (p["id"],))[0] == p["id"]], orders


# --- customers and orders -----------------------------------------------------
FIRST = ["Aarav", "Vivaan", "Aditya", "Diya", "Ananya", "Ishaan", "Kavya", "Rohan", "Meera", "Arjun",
         "Sara", "Neha", "Kabir", "Zoya", "Rahul", "Priya", "Farhan", "Lakshmi", "Nikhil", "Tara",
         "Imran", "Sneha", "Varun", "Pooja", "Joseph", "Maria", "Karthik", "Divya", "Aman", "Ritu",
         "Sameer", "Anjali", "Dev", "Nisha", "Harsh", "Fatima", "Siddharth", "Gauri", "Manoj", "Leela"]
LAST = ["Sharma", "Iyer", "Khan", "Reddy", "Nair", "Das", "Gupta", "Fernandes", "Rao", "Patel",
        "Menon", "Singh", "Bose", "Kulkarni", "Joshi", "Hegde", "Pillai", "Mehta", "Sheikh", "Shetty"]
DIETS = [("vegetarian", 0.38), ("non_vegetarian", 0.45), ("vegan", 0.07), ("eggetarian", 0.10)]
LANGS = [("en", 0.55), ("hi", 0.2), ("kn", 0.15), ("ta", 0.1)]
STREETS = ["1st Main", "2nd Cross", "5th Main", "8th Cross", "Temple Street", "Church Road", "Park Avenue",
           "Lake Road", "Station Road", "Market Lane", "Garden Street", "100 Feet Road", "80 Feet Road"]
LIFECYCLE = ["placed", "accepted", "preparing", "ready", "driver_assigned", "picked_up", "delivered"]


def weighted(rng, choices):
    r, acc = rng.random(), 0.0
    for value, weight in choices:
        acc += weight
        if r < acc:
            return value
    return choices[-1][0]


def diet_allows(diet, tags):
    if diet == "vegan":
        return "vegan" in tags
    if diet == "vegetarian":
        return "veg" in tags
    return True


def gen_customers(rng, hoods):
    customers = []
    hood_names = list(hoods)
    for i in range(1, 321):
        area = rng.choice(hood_names)
        addresses = []
        for label in (["home", "work"] if rng.random() < 0.4 else ["home"]):
            a = area if label == "home" else rng.choice(hood_names)
            lat, lon = offset(hoods[a], rng, 0.008)
            addresses.append({"label": label, "line": f"{rng.randint(1, 480)}, {rng.choice(STREETS)}, {a}",
                              "area": a, "lat": lat, "lon": lon})
        customers.append({
            "id": f"c-{i:04d}", "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "area": area,
            "diet": weighted(rng, DIETS), "language": weighted(rng, LANGS),
            "segment": weighted(rng, [("new", 0.2), ("regular", 0.6), ("gold", 0.2)]),
            "addresses": addresses,
        })
    return customers


MERCHANT_WEIGHTS = [0.13, 0.1, 0.1, 0.08, 0.05, 0.05, 0.06, 0.12, 0.1, 0.11, 0.06, 0.04]


def gen_orders(rng, customers, products, merchants):
    by_merchant = {}
    for p in products:
        by_merchant.setdefault(p["merchant_id"], []).append(p)
    merchant_weights = [(m[0], w) for m, w in zip(merchants, MERCHANT_WEIGHTS)]
    orders = []
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    for i in range(1, 2401):
        cust = rng.choice(customers)
        merchant = weighted(rng, merchant_weights)
        pool = [p for p in by_merchant[merchant] if diet_allows(cust["diet"], p["tags"])] or by_merchant[merchant]
        # Customers in the same area share tastes: bias picks by area so "top in your area" has signal.
        area_rng = random.Random(f"{cust['area']}:{merchant}")
        favourites = area_rng.sample(pool, min(len(pool), 12))
        items = []
        for _ in range(rng.randint(1, 5)):
            p = rng.choice(favourites) if rng.random() < 0.7 else rng.choice(pool)
            if any(it["product_id"] == p["id"] for it in items):
                continue
            items.append({"product_id": p["id"], "title": p["title"], "quantity": rng.randint(1, 3), "unit_price_minor": p["price_minor"]})
        placed = start + timedelta(minutes=rng.randint(0, 200 * 24 * 60))
        fate, events = lifecycle(rng, placed)
        orders.append({"id": f"o-{i:05d}", "customer_id": cust["id"], "merchant_id": merchant,
                       "address": cust["addresses"][0]["line"], "items": items, "status": fate, "events": events})
    return orders


def lifecycle(rng, placed):
    """How an order placed at `placed` ended, and its events."""
    fate = weighted(rng, [("delivered", 0.9), ("cancelled", 0.06), ("refunded", 0.04)])
    events, t = [], placed
    stop = len(LIFECYCLE) if fate != "cancelled" else rng.randint(1, 3)
    for state in LIFECYCLE[:stop]:
        events.append({"state": state, "at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "actor": "customer" if state == "placed" else ("merchant" if state in ("accepted", "preparing", "ready") else "system")})
        t += timedelta(minutes=rng.randint(2, 14))
    if fate in ("cancelled", "refunded"):
        events.append({"state": fate, "at": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "actor": "agent" if fate == "refunded" else "customer"})
    return fate, events


def gen_habits(customers, products, merchants, first_id):
    """Orders shaped by habit, which the recommendations learn from: each customer
    from c-0100 on (the first hundred keep the history the tests were written
    against) has one or two home stores and a few staples they reorder in the
    same quantity, and every store has bundles bought together (a main with its
    side and drink). Its own random stream, so every earlier record stays byte
    for byte."""
    rng = random.Random(SEED + 17)
    by_merchant = {}
    for p in products:
        by_merchant.setdefault(p["merchant_id"], []).append(p)
    weights = [(m[0], w) for m, w in zip(merchants, MERCHANT_WEIGHTS)]
    bundles = {mid: [rng.sample(pool, min(len(pool), rng.randint(2, 3))) for _ in range(8)]
               for mid, pool in sorted(by_merchant.items())}
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    orders, n = [], first_id
    for cust in customers[99:]:
        eats = lambda pool: [p for p in pool if diet_allows(cust["diet"], p["tags"])] or pool
        homes = []
        for _ in range(rng.randint(1, 2)):
            m = weighted(rng, weights)
            if m not in homes:
                homes.append(m)
        staples = {m: [(p, rng.randint(1, 3)) for p in rng.sample(eats(by_merchant[m]), min(len(eats(by_merchant[m])), rng.randint(2, 4)))]
                   for m in homes}
        low, high = {"new": (2, 5), "regular": (6, 14), "gold": (12, 24)}[cust["segment"]]
        for minute in sorted(rng.randint(0, 330 * 24 * 60) for _ in range(rng.randint(low, high))):
            merchant = rng.choice(homes) if rng.random() < 0.85 else weighted(rng, weights)
            items = []

            def put(p, quantity):
                if not any(it["product_id"] == p["id"] for it in items):
                    items.append({"product_id": p["id"], "title": p["title"], "quantity": quantity, "unit_price_minor": p["price_minor"]})
            for p, quantity in staples.get(merchant, []):
                if rng.random() < 0.6:
                    put(p, quantity)
            if rng.random() < 0.45:
                for p in rng.choice(bundles[merchant]):
                    if diet_allows(cust["diet"], p["tags"]):
                        put(p, 1)
            while not items or rng.random() < 0.3:
                put(rng.choice(eats(by_merchant[merchant])), rng.randint(1, 2))
            fate, events = lifecycle(rng, start + timedelta(minutes=minute))
            orders.append({"id": f"o-{n:05d}", "customer_id": cust["id"], "merchant_id": merchant,
                           "address": cust["addresses"][0]["line"], "items": items, "status": fate, "events": events})
            n += 1
    return orders


# Phrases historic feedback is written from, per aspect: (complaints, praise).
FEEDBACK_PHRASES = {
    "temperature": (["the {item} was cold when it arrived", "{item} came lukewarm", "food was stone cold",
                     "the {item} had gone cold by the time it reached me", "cold {item} again"],
                    ["{item} arrived piping hot", "still hot when it came"]),
    "food_quality": (["the {item} tasted stale", "{item} was bland", "the {item} was undercooked",
                      "{item} was too oily", "the {item} was not fresh", "{item} was soggy"],
                     ["the {item} was delicious", "loved the {item}", "{item} was fresh and tasty",
                      "best {item} in the area"]),
    "freshness": (["the {item} was past its expiry date", "{item} was stale", "the {item} was damaged",
                   "the {item} was not fresh", "{item} was of poor quality"],
                  ["the {item} was really fresh", "good quality {item}"]),
    "missing_item": (["the {item} was missing from my order", "got the wrong {item}", "you forgot the {item}"],
                     []),
    "delivery_time": (["delivery took over an hour", "order was very late", "waited ages for the rider",
                       "the ETA kept slipping", "arrived 40 minutes after the promised time"],
                      ["super fast delivery", "arrived earlier than expected", "quick delivery"]),
    "rider_behaviour": (["the rider was rude", "delivery guy didn't follow my instructions",
                         "rider asked me to come down to the gate"],
                        ["the rider was very polite", "friendly delivery partner"]),
    "packaging": (["the {item} leaked all over the bag", "container was broken", "packaging was crushed"],
                  ["neat packaging, nothing spilled"]),
    "price": (["too expensive for the portion", "prices went up again"], ["great value for money"]),
    "app": (["the app crashed at checkout", "tracking was stuck"], ["the app made ordering easy"]),
}
FEEDBACK_OPEN = ["", "", "", "honestly, ", "ugh, ", "hmm, ", "Overall: "]
FEEDBACK_CLOSE = (["", "", ".", "!", ", please fix this", ", not happy", ", really disappointed"],
                  ["", "", "!", ", thanks", ". will order again"])

def gen_feedback(orders):
    """Ratings and reviews left after delivery, so the care insights have a
    history on a fresh install. Two in five delivered orders get one. Each
    merchant has its usual weak spots; in the last four weeks of the history
    Biryani Darbar's food arrives cold far more often and Crispy Coop's
    deliveries run late, so the pain points have a trend to find. Its own
    random stream, so every earlier record stays byte for byte."""
    rng = random.Random(SEED + 19)
    weak = {
        "restaurant": ["temperature", "food_quality", "missing_item", "delivery_time", "rider_behaviour", "packaging", "price"],
        "grocery": ["freshness", "missing_item", "delivery_time", "packaging", "rider_behaviour", "price", "app"],
    }
    kinds = {m[0]: m[2] for m in MERCHANTS}
    last = max(o["events"][-1]["at"] for o in orders)
    trend_from = (datetime.fromisoformat(last.replace("Z", "+00:00")) - timedelta(days=28)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for o in orders:
        if o["status"] != "delivered" or rng.random() >= 0.4:
            continue
        delivered = o["events"][-1]["at"]
        recent = delivered >= trend_from
        aspects = weak["restaurant" if kinds.get(o["merchant_id"]) == "restaurant" else "grocery"]
        bad_odds = 0.35
        aspect = rng.choice(aspects)
        if recent and o["merchant_id"] == "m-biryanidarbar" and rng.random() < 0.6:
            aspect, bad_odds = "temperature", 0.9
        if recent and o["merchant_id"] == "m-crispycoop" and rng.random() < 0.6:
            aspect, bad_odds = "delivery_time", 0.9
        complaints, praise = FEEDBACK_PHRASES[aspect]
        bad = rng.random() < bad_odds or not praise
        item = rng.choice(o["items"])["title"].split(" (")[0].lower()
        phrase = rng.choice(complaints if bad else praise).format(item=item)
        text = rng.choice(FEEDBACK_OPEN) + phrase + rng.choice(FEEDBACK_CLOSE[0 if bad else 1])
        text = text[0].upper() + text[1:]
        rating = rng.choice([1, 2, 2, 3]) if bad else rng.choice([4, 5, 5])
        at = datetime.fromisoformat(delivered.replace("Z", "+00:00")) + timedelta(minutes=rng.randint(20, 36 * 60))
        out.append({"id": f"fb-seed-{len(out) + 1:05d}", "customer_id": o["customer_id"], "order_id": o["id"],
                    "rating": rating, "text": text, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return out


# Festivals of the seed year: (date, days of lead-up, lift at the peak, the
# category words that feel it most). Everything else sells a little more too.
FESTIVALS = [
    ("2025-12-25", 3, 2.2, ["bakery", "cake", "dessert", "chocolate", "cookie"]),
    ("2025-12-31", 2, 1.9, ["beverage", "drink", "snack", "chip", "party", "pizza", "chicken"]),
    ("2026-01-14", 2, 1.8, ["sweet", "jaggery", "sesame", "rice", "pulse"]),
    ("2026-03-04", 3, 1.9, ["sweet", "snack", "beverage", "dairy", "milk"]),
    ("2026-03-20", 3, 2.0, ["biryani", "meat", "chicken", "dry fruit", "dessert"]),
    ("2026-08-28", 2, 1.7, ["sweet", "dry fruit", "chocolate"]),
    ("2026-09-14", 4, 1.8, ["sweet", "flour", "jaggery", "coconut", "ghee"]),
    ("2026-10-20", 3, 1.7, ["sweet", "fruit", "flower", "puja"]),
    ("2026-11-08", 6, 2.6, ["sweet", "snack", "dry fruit", "oil", "ghee", "flour", "chocolate", "dessert"]),
]
DEMAND_START = "2025-12-01"
DEMAND_DAYS = 364


def poisson(rng, lam):
    """Knuth's method below 30, a rounded normal above (the stdlib has no Poisson)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def gen_demand(products):
    """A year of daily units sold per store and category, the history demand
    forecasts learn from: a weekly rhythm by kind of store (weekends for
    groceries and restaurants, weekdays for the cafe), the festivals above
    with their lead-up, a few promotions per series (recorded, as a retailer
    knows its own), a slow trend, and Poisson noise. Its own random stream,
    so every earlier record stays byte for byte."""
    rng = random.Random(SEED + 23)
    kinds = {m[0]: m[2] for m in MERCHANTS}
    weekly = {
        "grocery": [0.92, 0.9, 0.93, 0.96, 1.02, 1.22, 1.25],
        "restaurant": [0.78, 0.8, 0.85, 0.92, 1.25, 1.45, 1.35],
        "cafe": [1.12, 1.15, 1.14, 1.12, 1.05, 0.82, 0.7],
    }
    start = datetime.fromisoformat(DEMAND_START)
    series = {}
    for p in products:
        series.setdefault((p["merchant_id"], p["category"]), []).append(p)
    out = []
    for (merchant, category), items in sorted(series.items()):
        kind = "cafe" if merchant == "m-beanthere" else (
            "restaurant" if kinds.get(merchant) == "restaurant" else "grocery")
        level = len(items) * rng.uniform(0.8, 2.4) * (1.6 if kind != "grocery" else 1.0)
        trend = rng.uniform(-0.12, 0.18) / DEMAND_DAYS
        felt = [f for f in FESTIVALS if any(w in category.lower() for w in f[3])]
        promotions = []
        for _ in range(rng.randint(1, 3)):
            day = rng.randrange(14, DEMAND_DAYS - 7)
            promotions.append({"start": (start + timedelta(days=day)).strftime("%Y-%m-%d"),
                               "days": rng.randint(3, 7), "lift": round(rng.uniform(1.3, 1.8), 2)})
        units = []
        for d in range(DEMAND_DAYS):
            day = start + timedelta(days=d)
            lam = level * (1 + trend * d) * weekly[kind][day.weekday()]
            for date, lead, lift, _ in FESTIVALS:
                ahead = (datetime.fromisoformat(date) - day).days
                if 0 <= ahead <= lead:
                    peak = lift if (date, lead, lift, _) in felt else 1 + (lift - 1) * 0.25
                    lam *= 1 + (peak - 1) * (1 - ahead / (lead + 1))
            for promo in promotions:
                offset_days = (day - datetime.fromisoformat(promo["start"])).days
                if 0 <= offset_days < promo["days"]:
                    lam *= promo["lift"]
            units.append(poisson(rng, lam))
        out.append({"merchant_id": merchant, "category": category, "start": DEMAND_START,
                    "units": units, "promotions": sorted(promotions, key=lambda x: x["start"])})
    return out


RIDE_DAYS = 28
RIDE_END = "2026-11-30"
# Requests per hour of the day (city time) on a weekday and at a weekend.
RIDE_HOURS = {
    "weekday": [3, 2, 1, 1, 2, 5, 12, 26, 38, 32, 18, 14, 15, 14, 13, 15, 20, 30, 40, 34, 24, 16, 10, 6],
    "weekend": [6, 4, 2, 1, 1, 2, 4, 8, 12, 15, 18, 20, 22, 20, 18, 18, 20, 24, 28, 30, 28, 22, 14, 9],
}
# Where trips go at each part of the day: kinds of place and their weights.
WORK = ("office", "metro", "station", "college", "hospital")
LEISURE = ("mall", "market", "stadium", "park", "landmark", "hotel")


def gen_rides(places):
    """Four weeks of ride requests, the history fleet rebalancing learns
    from: mornings carry people from the neighbourhoods to work, evenings
    bring them back, nights and weekends go to malls and markets and home
    again, the airport and the stations send riders home all day. Each
    neighbourhood has its own size. Times are UTC (the city is +05:30).
    Its own random stream, so every earlier record stays byte for byte."""
    rng = random.Random(SEED + 29)
    hoods = [p for p in places if p["kind"] == "neighbourhood"]
    size = {p["id"]: rng.uniform(0.4, 2.2) for p in hoods}
    work = [p for p in places if p["kind"] in WORK]
    leisure = [p for p in places if p["kind"] in LEISURE]
    arrivals = [p for p in places if p["kind"] in ("airport", "station", "bus_terminal")]
    end = datetime.fromisoformat(RIDE_END)
    city = timedelta(hours=5, minutes=30)
    out = []
    for d in range(RIDE_DAYS, 0, -1):
        day = end - timedelta(days=d)
        weekend = day.weekday() >= 5
        hours = RIDE_HOURS["weekend" if weekend else "weekday"]
        for hour, lam in enumerate(hours):
            for _ in range(poisson(rng, lam * rng.uniform(0.85, 1.15))):
                home = rng.choices(hoods, weights=[size[h["id"]] for h in hoods])[0]
                u = rng.random()
                if u < 0.08:
                    origin, dest = rng.choice(arrivals), home
                elif not weekend and 6 <= hour <= 10:
                    origin, dest = home, rng.choice(work if u < 0.8 else leisure)
                elif not weekend and 16 <= hour <= 20:
                    origin, dest = rng.choice(work if u < 0.75 else leisure), home
                elif hour >= 19 or hour <= 2:
                    origin, dest = (rng.choice(leisure), home) if u < 0.7 else (home, rng.choice(leisure))
                else:
                    other = rng.choice(hoods + leisure)
                    origin, dest = (home, other) if u < 0.55 else (other, home)
                if origin["id"] == dest["id"]:
                    continue
                at = day + timedelta(hours=hour, minutes=rng.randrange(60)) - city
                out.append({"at": at.strftime("%Y-%m-%dT%H:%M:00Z"), "from": origin["id"], "to": dest["id"]})
    return sorted(out, key=lambda r: (r["at"], r["from"], r["to"]))


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main():
    if "--check" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            stale = [str(p.relative_to(tmp)) for p in sorted(Path(tmp).rglob("*.jsonl"))
                     if p.read_bytes() != (HERE / p.relative_to(tmp)).read_bytes()]
        if stale:
            sys.exit("knowledge: generated files differ from generate.py, run it and commit: " + ", ".join(stale))
        print("knowledge: generated files are reproducible")
        return
    generate(HERE)


def generate(out):
    rng = random.Random(SEED)
    places, hoods = gen_places(rng)
    merchants = []
    for mid, name, kind, cuisine, area, dfee, pfee, minimum, tax, prep in MERCHANTS:
        lat, lon = offset(hoods[area], rng, 0.004)
        merchants.append({"id": mid, "name": name, "kind": kind, "cuisine": cuisine, "area": area,
                          "lat": lat, "lon": lon, "delivery_fee_minor": dfee, "packaging_fee_minor": pfee,
                          "min_order_minor": minimum, "tax_bps": tax, "prep_minutes": prep})
    products = gen_products(rng)
    customers = gen_customers(rng, hoods)
    orders = gen_orders(rng, customers, products, MERCHANTS)
    orders += gen_habits(customers, products, MERCHANTS, len(orders) + 1)
    # The cafe's newer drinks come after the seed history, from their own
    # generator, so the seeded orders and every earlier id stay as they were.
    products += cafe_menu(products)
    products, orders = fold_variants(products, orders)
    write_jsonl(out / "places.jsonl", places)
    write_jsonl(out / "merchants.jsonl", merchants)
    write_jsonl(out / "catalog" / "products.jsonl", products)
    write_jsonl(out / "seed" / "customers.jsonl", customers)
    write_jsonl(out / "seed" / "orders.jsonl", orders)
    feedback = gen_feedback(orders)
    write_jsonl(out / "seed" / "feedback.jsonl", feedback)
    write_jsonl(out / "seed" / "demand.jsonl", gen_demand(products))
    write_jsonl(out / "seed" / "rides.jsonl", gen_rides(places))
    print(f"places={len(places)} merchants={len(merchants)} products={len(products)} "
          f"customers={len(customers)} orders={len(orders)}")


if __name__ == "__main__":
    main()
