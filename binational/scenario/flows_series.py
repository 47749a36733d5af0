"""Monthly border series for the flows module: seasonality, trends and shocks for every sector and port.

Writes, beside the entities, `flows/<AGENCY>/<name>.csv` in the importers' own public formats:
US-CBP's encounters by Border Patrol sector and citizenship (CBP's encounters layout, the running
fiscal year spelt "(FYTD)"), northbound crossings at each port (BTS layout, with the port's
coordinates) and MX-INM's events by state (the Mexican layout, internal to MX-INM). Each series is
a level per place, a yearly season, a trend, the land-border closure of 2020–2021 (crossings fall,
encounters dip then climb), noise, and a surge in the last month of one sector, so that the demo's
first alert check has something to tell. `scenario.load` imports the files through `flows.service`.
"""

from __future__ import annotations

import math
import random

from binational.scenario.registry import register
from binational.scenario.world import World

FY_MONTHS = ("OCT", "NOV", "DEC", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP")
#: Border Patrol sectors of the southwest border: (sector, AOR abbreviation, base monthly encounters)
SECTORS = (("San Diego Sector", "San Diego", 9000), ("El Centro Sector", "El Centro", 3000),
           ("Yuma Sector", "Yuma", 4000), ("Tucson Sector", "Tucson", 15000), ("El Paso Sector", "El Paso", 12000),
           ("Big Bend Sector", "Big Bend", 800), ("Del Rio Sector", "Del Rio", 11000),
           ("Laredo Sector", "Laredo", 5000), ("Rio Grande Valley Sector", "RGV", 20000))
CITIZENSHIPS = (("MEXICO", 0.55), ("GUATEMALA", 0.15), ("HONDURAS", 0.12), ("VENEZUELA", 0.1), ("OTHER", 0.08))
#: ports of entry: (name, state, code, latitude, longitude, base monthly personal vehicles)
PORTS = (("San Ysidro", "California", "2504", 32.54, -117.03, 1_300_000), ("Otay Mesa", "California", "2506", 32.55,
         -116.94, 400_000), ("Calexico", "California", "2503", 32.67, -115.50, 600_000),
         ("Nogales", "Arizona", "2604", 31.33, -110.94, 350_000), ("El Paso", "Texas", "2402", 31.76, -106.45,
         1_200_000), ("Laredo", "Texas", "2304", 27.50, -99.51, 700_000), ("Hidalgo", "Texas", "2305", 26.10,
         -98.26, 650_000), ("Brownsville", "Texas", "2301", 25.90, -97.50, 500_000))
MX_STATES = (("Chiapas", 9000), ("Tabasco", 2500), ("Veracruz", 2000), ("Oaxaca", 1800), ("Chihuahua", 1500),
             ("Baja California", 2200), ("Coahuila", 1200), ("Tamaulipas", 1600))
FIRST_FY, LAST_FY = 2018, 2025
CLOSED = (2020 * 12 + 2, 2021 * 12 + 10)  # March 2020 to November 2021, as month numbers


def _season(month: int, peak: int, depth: float) -> float:
    return 1 + depth * math.cos(2 * math.pi * ((month % 12) - peak) / 12)


def _encounter_level(month: int) -> float:
    """The shape all encounter series share: growth, a dip at the closure, a climb after it."""
    if month < CLOSED[0]:
        return 1.0 + 0.004 * (month - FIRST_FY * 12)
    if month < CLOSED[0] + 3:
        return 0.45
    return min(2.2, 0.6 + 0.06 * (month - CLOSED[0] - 3)) if month < 2024 * 12 else 0.7


def _crossing_level(month: int) -> float:
    """Crossings by car: steady growth, the closure's collapse, a recovery."""
    if CLOSED[0] <= month <= CLOSED[1]:
        return 0.35 + 0.2 * (month - CLOSED[0]) / (CLOSED[1] - CLOSED[0])
    return 1.0 + 0.002 * (month - FIRST_FY * 12)


@register("flows_series")
def generate(world: World, rng: random.Random, _faker_us: object, _faker_mx: object) -> None:
    """Write the three files of monthly series."""
    folder = world.out / "flows"
    (folder / "US-CBP").mkdir(parents=True, exist_ok=True)
    (folder / "MX-INM").mkdir(parents=True, exist_ok=True)
    surge_sector = rng.choice(SECTORS)[0]
    last = (LAST_FY - 1) * 12 + 9 + 11  # September of the last fiscal year
    lines = ["Fiscal Year,Month Grouping,Month (abbv),Component,Land Border Region,Area of Responsibility,"
             "AOR (Abbv),Demographic,Citizenship,Title of Authority,Encounter Type,Encounter Count"]
    for fy in range(FIRST_FY, LAST_FY + 1):
        label = f"{fy} (FYTD)" if fy == LAST_FY else str(fy)
        for i, abbv in enumerate(FY_MONTHS):
            month = (fy - 1) * 12 + 9 + i
            for sector, aor, base in SECTORS:
                level = base * _encounter_level(month) * _season(month, 4, 0.18)
                if month == last and sector == surge_sector:
                    level *= 2.5
                for citizenship, share in CITIZENSHIPS:
                    count = max(0, round(level * share * rng.gauss(1, 0.05)))
                    lines.append(f"{label},FYTD,{abbv},U.S. Border Patrol,Southwest Land Border,{sector},{aor},"
                                 f"Single Adults,{citizenship},Title 8,Apprehensions,{count}")
    (folder / "US-CBP" / "encounters.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    world.counts["flows/US-CBP/encounters.csv"] = len(lines) - 1
    lines = ["Port Name,State,Port Code,Border,Date,Measure,Value,Latitude,Longitude"]
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    for month in range(FIRST_FY * 12, last + 1):
        for name, state, code, lat, lon, base in PORTS:
            value = round(base * _crossing_level(month) * _season(month, 11, 0.08) * rng.gauss(1, 0.03))
            lines.append(f"{name},{state},{code},US-Mexico Border,{months[month % 12]} {month // 12},"
                         f"Personal Vehicles,{max(0, value)},{lat},{lon}")
    (folder / "US-CBP" / "crossings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    world.counts["flows/US-CBP/crossings.csv"] = len(lines) - 1
    lines = ["Dependencia,Mes,Indicador,Entidad,Punto,Nacionalidad,Categoria,Cantidad,Unidad"]
    for month in range(FIRST_FY * 12, last + 1):
        for state, base in MX_STATES:
            value = round(base * _encounter_level(month) * _season(month, 5, 0.15) * rng.gauss(1, 0.06))
            lines.append(f"MX-INM,{month // 12}-{month % 12 + 1:02d},eventos,{state},,,presentados,{max(0, value)},"
                         "eventos")
    (folder / "MX-INM" / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    world.counts["flows/MX-INM/events.csv"] = len(lines) - 1
