"""A small consistent world: the assistance company, providers, beneficiaries and dossiers.

Documents are drawn from this world so that matching has something true to find. The world
also holds the hard cases on purpose: look-alike beneficiary names (MARTIN / MARTINS), two
dossiers on one policy, a closed dossier, and (in the documents) unknown senders and an
invoice above its mission's agreed amount.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from samples.synth import ids
from samples.synth.fmt import money

FIRST_NAMES = [
    ("Claire", "f"),
    ("Julien", "m"),
    ("Sophie", "f"),
    ("Thomas", "m"),
    ("Nathalie", "f"),
    ("Éric", "m"),
    ("Isabelle", "f"),
    ("François", "m"),
    ("Hélène", "f"),
    ("Mathieu", "m"),
    ("Camille", "f"),
    ("Stéphane", "m"),
    ("Amélie", "f"),
    ("Grégory", "m"),
    ("Océane", "f"),
    ("Jérôme", "m"),
    ("Léa", "f"),
    ("Benoît", "m"),
    ("Chloé", "f"),
    ("Rémi", "m"),
    ("Aurélie", "f"),
    ("Karim", "m"),
    ("Fatima", "f"),
    ("Nguyen", "m"),
    ("Inès", "f"),
    ("Yannick", "m"),
    ("Marie-Christine", "f"),
    ("Jean-Pierre", "m"),
    ("Émilie", "f"),
    ("Loïc", "m"),
]
LAST_NAMES = [
    "DUBOIS",
    "LEFÈVRE",
    "MOREAU",
    "GIRARD",
    "ROUSSEAU",
    "FONTAINE",
    "CHEVALIER",
    "LEROY",
    "GAUTHIER",
    "PERRIN",
    "MERCIER",
    "BONNET",
    "FAURE",
    "ANDRÉ",
    "GUÉRIN",
    "BOYER",
    "GARNIER",
    "LEMAIRE",
    "CARON",
    "BRUNET",
    "BENSAÏD",
    "TRAN",
    "DA SILVA",
    "LE GALL",
    "N'DIAYE",
    "OLIVIER",
    "ROCHE",
    "MEUNIER",
    "DUMONT",
    "BARBIER",
    "COLIN",
    "VIDAL",
    "RENAUD",
    "ARNAUD",
]
CITIES = [
    ("Lyon", "69003"),
    ("Paris", "75011"),
    ("Marseille", "13008"),
    ("Toulouse", "31500"),
    ("Bordeaux", "33800"),
    ("Nantes", "44000"),
    ("Lille", "59000"),
    ("Strasbourg", "67000"),
    ("Rennes", "35000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Montpellier", "34000"),
    ("Clermont-Ferrand", "63000"),
    ("Tours", "37000"),
    ("Annecy", "74000"),
    ("Valence", "26000"),
    ("Orléans", "45000"),
    ("Reims", "51100"),
    ("Angers", "49100"),
    ("Brive-la-Gaillarde", "19100"),
    ("Saint-Étienne", "42000"),
    ("Montélimar", "26200"),
    ("Chambéry", "73000"),
    ("Nîmes", "30000"),
]
STREETS = [
    "rue des Lilas",
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "boulevard Gambetta",
    "chemin des Vignes",
    "ZA des Granges",
    "place de la République",
    "route de Lyon",
    "impasse du Moulin",
    "allée des Tilleuls",
    "rue de la Gare",
    "avenue du Général Leclerc",
    "rue Pasteur",
    "quai Saint-Vincent",
    "rue du 8 Mai 1945",
    "ZI Les Playes",
    "rue Émile Zola",
    "avenue des Champs Fleuris",
    "rue de l'Église",
    "boulevard de la Liberté",
]
BANKS = [
    ("30004", "BNP Paribas", "BNPAFRPP"),
    ("30003", "Société Générale", "SOGEFRPP"),
    ("30006", "Crédit Agricole", "AGRIFRPP"),
    ("10278", "Crédit Mutuel", "CMCIFR2A"),
    ("20041", "La Banque Postale", "PSSTFRPPXXX"),
    ("30002", "LCL - Le Crédit Lyonnais", "CRLYFRPP"),
    ("11315", "Caisse d'Epargne", "CEPAFRPP113"),
    ("10107", "BRED Banque Populaire", "BREDFRPPXXX"),
    ("30056", "HSBC Continental Europe", "CCFRFRPP"),
    ("16958", "Qonto", "QNTOFRP1XXX"),
]
PROVIDER_KINDS = ["garage", "tow", "hotel", "taxi", "ambulance", "rental"]
SERVICE_OF_KIND = {
    "garage": "repair",
    "tow": "towing",
    "hotel": "hotel",
    "taxi": "taxi",
    "ambulance": "ambulance",
    "rental": "car_rental",
}
LEGAL_FORMS = ["SARL", "SAS", "EURL", "SA", "SASU"]

COMPANY_DEPTS = ["Service Règlements", "Pôle Remboursements", "Service Prestataires"]
COMPANY: dict[str, str] = {
    "name": "Aster Assistance",
    "street": "14 rue de la Villette",
    "city": "Lyon",
    "postcode": "69003",
    "email": "remboursements@aster-assistance.example.fr",
}

GUARANTEES: dict[str, list[dict[str, str]]] = {
    "vehicle_breakdown": [
        {
            "code": "REMORQUAGE",
            "label": "Dépannage / remorquage",
            "ceiling": "250.00",
            "per": "event",
        },
        {
            "code": "VEHICULE_REMPL",
            "label": "Véhicule de remplacement",
            "ceiling": "65.00",
            "per": "day",
        },
        {"code": "HOTEL", "label": "Frais d'hôtel", "ceiling": "80.00", "per": "night"},
        {"code": "TAXI", "label": "Frais de taxi", "ceiling": "120.00", "per": "event"},
    ],
    "accident": [
        {
            "code": "REMORQUAGE",
            "label": "Dépannage / remorquage",
            "ceiling": "300.00",
            "per": "event",
        },
        {
            "code": "REPARATION",
            "label": "Réparation sur place",
            "ceiling": "1500.00",
            "per": "event",
        },
        {
            "code": "VEHICULE_REMPL",
            "label": "Véhicule de remplacement",
            "ceiling": "70.00",
            "per": "day",
        },
    ],
    "medical": [
        {
            "code": "TRANSPORT_SANITAIRE",
            "label": "Transport sanitaire",
            "ceiling": "600.00",
            "per": "event",
        },
        {"code": "FRAIS_MEDICAUX", "label": "Frais médicaux", "ceiling": "1500.00", "per": "event"},
        {"code": "TAXI", "label": "Frais de taxi", "ceiling": "100.00", "per": "event"},
    ],
    "travel": [
        {
            "code": "FRAIS_MEDICAUX_ETR",
            "label": "Frais médicaux à l'étranger",
            "ceiling": "5000.00",
            "per": "event",
        },
        {"code": "HOTEL", "label": "Prolongation de séjour", "ceiling": "100.00", "per": "night"},
        {"code": "RAPATRIEMENT", "label": "Rapatriement", "ceiling": "10000.00", "per": "event"},
    ],
    "home": [
        {
            "code": "RELOGEMENT",
            "label": "Hébergement provisoire",
            "ceiling": "90.00",
            "per": "night",
        },
        {"code": "GARDIENNAGE", "label": "Gardiennage", "ceiling": "150.00", "per": "event"},
    ],
}
MISSION_KINDS = {
    "vehicle_breakdown": ["tow", "garage", "rental", "hotel", "taxi"],
    "accident": ["tow", "garage", "rental", "ambulance"],
    "medical": ["ambulance", "taxi", "hotel"],
    "travel": ["hotel", "taxi"],
    "home": ["hotel"],
}
REQUIRED_DOCS = {
    "vehicle_breakdown": ["invoice", "bank_details"],
    "accident": ["invoice", "claim_letter", "bank_details"],
    "medical": ["medical_certificate", "invoice", "bank_details"],
    "travel": ["receipt", "medical_certificate", "claim_letter", "bank_details"],
    "home": ["invoice", "bank_details"],
}


def ascii_slug(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in s.lower() if c.isalnum() or c in "-.")


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str

    def lines(self) -> list[str]:
        return [self.street, f"{self.postcode} {self.city}"]

    def one_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


@dataclass(frozen=True)
class BankAccount:
    bank_code: str
    branch: str
    account: str
    key: str
    bank_name: str
    bic: str
    domiciliation: str

    @property
    def iban(self) -> str:
        return ids.iban_from_bban("FR", self.bank_code + self.branch + self.account + self.key)


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    gender: str
    email: str
    address: Address
    bank: BankAccount
    phone: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def civility(self) -> str:
        return "Madame" if self.gender == "f" else "Monsieur"


@dataclass(frozen=True)
class Provider:
    kind: str
    name: str
    legal_form: str
    capital: int
    siren: str
    siret: str
    address: Address
    phone: str
    fax: str | None
    email: str
    website: str | None
    rcs_city: str
    bank: BankAccount
    ape: str

    @property
    def vat_number(self) -> str:
        return ids.vat_number(self.siren)


@dataclass
class Mission:
    """Mutable on purpose: an invoice drawn later sets the agreed amount it was priced from."""

    mission_id: str
    provider: Provider
    agreed_amount: Decimal

    @property
    def service(self) -> str:
        return SERVICE_OF_KIND[self.provider.kind]


@dataclass
class Dossier:
    dossier_id: str
    status: str
    opened_on: date
    event_date: date
    event_type: str
    policy_number: str
    beneficiary: Person
    vehicle_registration: str | None
    missions: list[Mission] = field(default_factory=list)
    hard_case: str | None = None

    def to_json(self) -> dict[str, Any]:
        b = self.beneficiary
        data: dict[str, Any] = {
            "dossier_id": self.dossier_id,
            "status": self.status,
            "opened_on": self.opened_on.isoformat(),
            "event_date": self.event_date.isoformat(),
            "event_type": self.event_type,
            "policy_number": self.policy_number,
            "beneficiary": {
                "first_name": b.first_name,
                "last_name": b.last_name,
                "email": b.email,
                "address": b.address.one_line(),
            },
            "vehicle_registration": self.vehicle_registration,
            "guarantees": GUARANTEES[self.event_type],
            "missions": [
                {
                    "mission_id": m.mission_id,
                    "provider_name": m.provider.name,
                    "provider_siret": m.provider.siret,
                    "service": m.service,
                    "agreed_amount": f"{m.agreed_amount:f}",
                }
                for m in self.missions
            ],
            "required_documents": REQUIRED_DOCS[self.event_type],
        }
        if self.vehicle_registration is None:
            del data["vehicle_registration"]
        return data


@dataclass
class World:
    dossiers: list[Dossier]
    providers: list[Provider]
    people: list[Person]
    outsiders: list[Person]  # senders who match no dossier
    invoiced_missions: set[str] = field(default_factory=set)  # one invoice per mission

    def dossiers_with_mission(self, kind: str) -> list[tuple[Dossier, Mission]]:
        return [(d, m) for d in self.dossiers for m in d.missions if m.provider.kind == kind]

    def to_json(self) -> list[dict[str, Any]]:
        return [d.to_json() for d in self.dossiers]


def make_address(rng: random.Random, city: tuple[str, str] | None = None) -> Address:
    name, postcode = city or rng.choice(CITIES)
    num = rng.randint(1, 180)
    suffix = rng.choice(["", "", "", " bis", " ter"])
    return Address(f"{num}{suffix} {rng.choice(STREETS)}", postcode, name)


def make_bank(rng: random.Random, city: str) -> BankAccount:
    code, name, bic = rng.choice(BANKS)
    branch = f"{rng.randint(0, 99999):05d}"
    account = f"{rng.randint(0, 99_999_999_999):011d}"
    return BankAccount(
        code,
        branch,
        account,
        ids.rib_key(code, branch, account),
        name,
        bic,
        f"{name.split(' - ')[0].upper()} {city.upper()}",
    )


def make_person(
    rng: random.Random, first: tuple[str, str] | None = None, last: str | None = None
) -> Person:
    fn, gender = first or rng.choice(FIRST_NAMES)
    ln = last or rng.choice(LAST_NAMES)
    addr = make_address(rng)
    domain = rng.choice(["example.fr", "example.com", "mail.example.org"])
    email = f"{ascii_slug(fn)}.{ascii_slug(ln).replace(' ', '')}@{domain}"
    return Person(fn, ln, gender, email, addr, make_bank(rng, addr.city), ids_phone(rng))


def ids_phone(rng: random.Random) -> str:
    return f"0{rng.choice([6, 7])} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))


def _provider_name(rng: random.Random, kind: str, city: str) -> str:
    surname = rng.choice(LAST_NAMES).title()
    place = rng.choice(["Centre", "Lac", "Parc", "Marché", "Pont", "Château", "Port"])
    options = {
        "garage": [
            f"Garage {surname}",
            f"{surname} Automobiles",
            f"Carrosserie du {place}",
            f"Garage du {place}",
            f"Auto Service {city}",
        ],
        "tow": [
            f"Dépannage {surname}",
            f"{surname} Remorquage",
            f"SOS Dépannage {city}",
            f"Dépann'Auto {city}",
            f"Remorquage du {place}",
        ],
        "hotel": [
            f"Hôtel du {place}",
            f"Hôtel {surname}",
            f"Le Relais du {place}",
            f"Hôtel Ibis Style {city}",
            f"Hôtel de la Gare {city}",
        ],
        "taxi": [
            f"Taxi {surname}",
            f"Taxis {city} Services",
            f"Allo Taxi {city}",
            f"Taxi du {place}",
        ],
        "ambulance": [
            f"Ambulances {surname}",
            f"{city} Ambulances",
            f"Ambulances du {place}",
            f"Ambulances {surname} & Fils",
        ],
        "rental": [
            f"{surname} Location",
            f"Loc'Auto {city}",
            f"Rent & Go {city}",
            f"Location du {place}",
        ],
    }
    return rng.choice(options[kind])


APE = {
    "garage": "4520A",
    "tow": "5221Z",
    "hotel": "5510Z",
    "taxi": "4932Z",
    "ambulance": "8690A",
    "rental": "7711A",
}


def make_provider(rng: random.Random, kind: str) -> Provider:
    city = rng.choice(CITIES)
    name = _provider_name(rng, kind, city[0])
    siren = ids.siren(rng)
    slug = ascii_slug(name.replace(" ", "-").replace("'", ""))
    return Provider(
        kind=kind,
        name=name,
        legal_form=rng.choice(LEGAL_FORMS),
        capital=rng.choice([1000, 5000, 7500, 8000, 15000, 30000, 50000, 100000, 152449]),
        siren=siren,
        siret=ids.siret(rng, siren),
        address=make_address(rng, city),
        phone=f"0{rng.randint(1, 5)} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
        fax=(f"0{rng.randint(1, 5)} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)))
        if rng.random() < 0.5
        else None,
        email=f"{rng.choice(['contact', 'compta', 'facturation', 'accueil'])}@{slug}.example.fr",
        website=f"www.{slug}.example.fr" if rng.random() < 0.5 else None,
        rcs_city=city[0],
        bank=make_bank(rng, city[0]),
        ape=APE[kind],
    )


def policy_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"CTR{rng.randint(10_000_000, 99_999_999)}",
            f"CTR{rng.randint(10_000_000, 99_999_999)}",
            f"PA{rng.randint(1_000_000, 9_999_999)}",
        ]
    )


def build_world(seed: int, n_dossiers: int = 20) -> World:
    rng = random.Random(f"world:{seed}")
    providers = [make_provider(rng, k) for k in PROVIDER_KINDS for _ in range(2)]
    # Look-alike beneficiaries first, then ordinary ones.
    first = rng.choice(FIRST_NAMES)
    people = [make_person(rng, first, "MARTIN"), make_person(rng, first, "MARTINS")]
    used = {"MARTIN", "MARTINS"}
    while len(people) < n_dossiers - 1:
        p = make_person(rng)
        if p.last_name in used:
            continue
        used.add(p.last_name)
        people.append(p)
    outsiders: list[Person] = []
    while len(outsiders) < 3:
        p = make_person(rng)
        if p.last_name not in used:
            used.add(p.last_name)
            outsiders.append(p)

    event_types = ["vehicle_breakdown", "accident", "medical", "travel", "home"]
    weights = [5, 3, 4, 3, 1]
    dossiers: list[Dossier] = []
    serial = rng.randint(3000, 4000)
    mission_serial = rng.randint(110_000, 120_000)
    for i in range(n_dossiers):
        # people[3] holds two dossiers on one policy; the rest one each.
        person = people[i] if i < len(people) else people[3]
        event_type = rng.choices(event_types, weights)[0]
        if i in (0, 1):
            event_type = "vehicle_breakdown"  # MARTIN / MARTINS: same kind of event
        if i == len(people):
            event_type = "medical"
        event = date(2026, 1, 5) + timedelta(days=rng.randint(0, 290))
        serial += rng.randint(3, 400)
        has_vehicle = event_type in ("vehicle_breakdown", "accident")
        d = Dossier(
            dossier_id=f"AST-2026-{serial:06d}",
            status="open",
            opened_on=event + timedelta(days=rng.choice([0, 0, 0, 1, 2, 12])),
            event_date=event,
            event_type=event_type,
            policy_number=policy_number(rng),
            beneficiary=person,
            vehicle_registration=ids.plate(rng) if has_vehicle else None,
        )
        kinds = MISSION_KINDS[event_type]
        for kind in rng.sample(kinds, k=min(len(kinds), rng.randint(1, 3))):
            mission_serial += rng.randint(1, 900)
            provider = rng.choice([p for p in providers if p.kind == kind])
            d.missions.append(Mission(f"M-{mission_serial}", provider, money(rng.randint(80, 900))))
        dossiers.append(d)
    # Hard cases.
    same_policy = [d for d in dossiers if d.beneficiary is people[3]]
    for d in same_policy[1:]:
        d.policy_number = same_policy[0].policy_number
        d.hard_case = "same_policy"
    same_policy[0].hard_case = "same_policy"
    dossiers[0].hard_case = dossiers[1].hard_case = "lookalike_name"
    closed = dossiers[5]
    closed.status = "closed"
    closed.hard_case = "closed"
    return World(dossiers, providers, people, outsiders)
