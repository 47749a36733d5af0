"""Small synthetic files in each format the flows importer reads (written here, not copied)."""

from __future__ import annotations

import math

FY_MONTHS = ("OCT", "NOV", "DEC", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP")
ENCOUNTERS_HEADER = (
    "Fiscal Year,Month Grouping,Month (abbv),Component,Land Border Region,Area of Responsibility,"
    "AOR (Abbv),Demographic,Citizenship,Title of Authority,Encounter Type,Encounter Count"
)


def encounters(years: tuple[int, ...] = (2022, 2023, 2024), fytd: int | None = None, bump: int = 0) -> str:
    """CBP encounters: two sectors, two citizenships, every month of the fiscal years (the last one
    spelt "YYYY (FYTD)" when `fytd` is that year); `bump` adds to every count."""
    lines = [ENCOUNTERS_HEADER]
    for fy in years:
        label = f"{fy} (FYTD)" if fy == fytd else str(fy)
        for i, month in enumerate(FY_MONTHS):
            for sector, aor in (("El Paso Sector", "El Paso"), ("Tucson Sector", "Tucson")):
                for citizenship, base in (("MEXICO", 900), ("GUATEMALA", 300)):
                    count = base + 50 * i + (fy - 2020) * 10 + bump
                    lines.append(
                        f"{label},FYTD,{month},U.S. Border Patrol,Southwest Land Border,{sector},{aor},"
                        f'Single Adults,{citizenship},Title 8,Apprehensions,"{count:,}"'
                    )
    return "\n".join(lines) + "\n"


def seizures() -> str:
    lines = [
        "FY,Month (abbv),Component,Region,Land Filter,Area of Responsibility,Drug Type,Count of Event,Sum Qty (lbs)"
    ]
    for fy in (2023, 2024):
        for i, month in enumerate(FY_MONTHS):
            lines.append(
                f"FY{fy},{month},Office of Field Operations,Southwest Border,Southwest Border Land,"
                f"San Diego Field Office,Fentanyl**,{20 + i},{150.5 + i}"
            )
            lines.append(
                f"FY{fy},{month},U.S. Border Patrol,Southwest Border,Southwest Border Land,"
                f"Tucson Sector,Methamphetamine,{10 + i},{900 + 3 * i}"
            )
    return "\n".join(lines) + "\n"


def bts() -> str:
    lines = ["Port Name,State,Port Code,Border,Date,Measure,Value,Latitude,Longitude,Point"]
    for year in (2023, 2024):
        for month in ("Jan", "Feb", "Mar"):
            lines.append(
                f"Laredo,Texas,2304,US-Mexico Border,{month} {year},Trucks,{150000 + year},27.5,-99.5,"
                "POINT (-99.5 27.5)"
            )
            lines.append(
                f"Nogales,Arizona,2604,US-Mexico Border,{month} {year},Pedestrians,{80000 + year},31.33,"
                "-110.94,POINT (-110.94 31.33)"
            )
    return "\n".join(lines) + "\n"


def port_modes() -> str:
    lines = ["ID,Year,Month,Region,POE,Crossing,Modes,Northbound Crossing"]
    for year in (2022, 2023):
        for month in range(1, 13):
            lines.append(
                f"{year}-{month:02d}-WTB-Trucks,{year},{month},Laredo,Laredo,World Trade Bridge,"
                f"Commercial Trucks,{200000 + month * 1000}"
            )
    return "\n".join(lines) + "\n"


def mx_events() -> str:
    lines = ["Dependencia,Mes,Indicador,Entidad,Punto,Nacionalidad,Categoria,Cantidad,Unidad"]
    for month in range(1, 13):
        lines.append(f"MX-INM,2024-{month:02d},eventos,Chiapas,Tapachula,GUATEMALA,presentados,{500 + month},eventos")
        lines.append(f"MX-INM,2024-{month:02d},aseguramientos,Sonora,Nogales,,fentanilo,{3 + month},eventos")
    return "\n".join(lines) + "\n"


def seasonal(
    series_id: str, start_year: int, months: int, level: float, *, trend: float = 0.0, surge_last: float = 1.0
) -> list[str]:
    """Lines `series_id,YYYY-MM,value` of a smooth seasonal series; the last month times `surge_last`."""
    out = []
    for i in range(months):
        value = level * (1 + trend * i) * (1 + 0.2 * math.sin(2 * math.pi * i / 12)) + (i * 37 % 11)
        if i == months - 1:
            value *= surge_last
        out.append(f"{series_id},{start_year + i // 12}-{i % 12 + 1:02d},{value:.1f}")
    return out


def long_csv(*series: list[str]) -> str:
    return "\n".join(["series_id,month,value", *(line for s in series for line in s)]) + "\n"
