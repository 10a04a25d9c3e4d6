"""Real answers of the service (a shoe photo in English from Vohwinkel; a search for "kuehlschrank"),
shown as examples in the OpenAPI document."""

from typing import Any

CLASSIFY: dict[str, Any] = {
    "id": "9899c785-987d-44a3-bf60-2007ebc5de48",
    "lang": "en",
    "model": {
        "sha256": "bcc1fb7cf93417859c9ac1e80dbe841ec3f417e6746fe8bf6a30e40469920561",
        "taxonomy_version": "2026.11-1",
        "precision": "int8",
    },
    "top": [
        {"label": "shoes", "name": "Shoes", "probability": 0.9955},
        {"label": "brown-glass", "name": "Brown glass", "probability": 0.0018},
        {"label": "clothes", "name": "Clothes", "probability": 0.0009},
    ],
    "decided": True,
    "clarify": None,
    "guidance": [
        {
            "label": "shoes",
            "stream": {
                "key": "altkleider",
                "name": "Used clothes and shoes",
                "where": "AWG used-clothes container or GESA second-hand outlet",
                "instructions": "Wearable clothes clean and dry, shoes tied together in pairs.",
                "not_allowed": ["wet or soiled textiles"],
                "source": "https://awg-wuppertal.de/ueber-uns/aktuelles/artikel/neu-gesa-outlet-fuer-second-hand-mode-auch-jeden-1-samstag-geoeffnet.html",
            },
            "container": None,
            "question": None,
        }
    ],
    "offers": [
        {
            "key": "gesa-second-hand-outlet",
            "name": "Second-Hand-Outlet powered by GESA",
            "kind": "second-hand",
            "address": "Essener Straße 59",
            "district": "Vohwinkel",
            "lat": None,
            "lon": None,
            "categories": ["textile", "shoes", "sports", "small-electrical"],
            "matches": ["shoes"],
            "distance_km": None,
            "open_now": False,
            "schedule": "Mon–Fri 10–17, 1st Saturday 10–14; also takes back small electrical devices",
            "source": "https://awg-wuppertal.de/ueber-uns/aktuelles/artikel/neu-gesa-outlet-fuer-second-hand-mode-auch-jeden-1-samstag-geoeffnet.html",
        },
        {
            "key": "caritas-begegnungszentrum",
            "name": "Caritas Internationales Begegnungszentrum (Kleiderspenden)",
            "kind": "second-hand",
            "address": "Hünefeldstraße",
            "district": "Barmen",
            "lat": None,
            "lon": None,
            "categories": ["textile", "shoes"],
            "matches": ["shoes"],
            "distance_km": None,
            "open_now": None,
            "schedule": "Takes clothing donations of all kinds",
            "source": "https://wz.de./nrw/wuppertal/helfer-suchen-winterkleidung-fuer-beduerftige_aid-29323391",
        },
    ],
}

SEARCH: dict[str, Any] = {
    "query": "kuehlschrank",
    "lang": "de",
    "results": [
        {
            "key": "kuehlschrank",
            "name": "Kühlschrank",
            "matched": "Kühlschrank",
            "score": 110.0,
            "stream": {
                "key": "elektro-gross",
                "name": "Elektrogroßgeräte",
                "where": "Kostenlose AWG-Abholung nach Termin (0202/4042-452)",
                "instructions": "Kühlschränke, Waschmaschinen, Trockner und Staubsauger holt die AWG kostenlos ab.",
                "not_allowed": [],
                "source": "https://www.bergischeblaetter.de/her-mit-den-kuehlschraenken/",
            },
            "categories": ["large-appliance"],
            "note": None,
        }
    ],
}
