"""Generate the synthetic maintenance logs and sensor data of the default corpus.

Why this exists
---------------
maintenance-copilot needs realistic plant history to answer questions such as "when was the seal on P-101
last replaced?" and to test its anomaly detectors, but real CMMS exports and historian data are confidential
and cannot be redistributed. This script writes an original, fully synthetic history for the fictional
"Eastbrook Water & Process Works" described in corpus/SPEC.md:

* ``logs/work_orders.csv``  - about 450 work orders (PM, CM, EM, INSP) for the 14 assets from 2022-01-03 to
  2025-06-30, with technician shorthand, chronic failures per asset and PM on fixed intervals;
* ``logs/alarms.log``       - control-system alarm / event journal (ALARM, ACK, CLEAR, START, STOP) that
  precedes the corrective work orders and uses only the fault codes required by SPEC.md;
* ``sensors/<asset>.csv``   - 14 days of 5-minute data for 12 assets (all but S-402 and CV-602), with coupled
  physical channels, load cycles, start/stop periods, noise, spikes and gaps, and labelled injected faults;
* ``sensors/labels.json``   - the ground truth of every injected fault.

Work orders, alarms and sensor files are mutually consistent: a fault injected in a sensor file produces the
alarm lines derived from the very samples in the file and a corrective work order that repairs it (the asset
is stopped in the file for the repair). The journal records alarms and operator, maintenance and trip
starts/stops (cmd=LOCAL/REMOTE/TRIP); routine automatic cycles (a booster idling at night on tank level, the
lag compressor auto-stopping, shift starts of the conveyor and the machining centre) are not journaled.
Everything is seeded, so

    python corpus/tools/generate_logs.py [--out corpus]

regenerates byte-for-byte identical files. Only numpy, pandas and the standard library are used. Channel
names, failure-mode keys, fault codes, limits and part numbers follow corpus/SPEC.md and the manuals.
"""

from __future__ import annotations

import argparse
import json
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

SEED = 20220103
WO_START = datetime(2022, 1, 3, 0, 0)
WO_END = datetime(2025, 6, 30, 23, 59)
STEP_MIN = 5
SENSOR_DAYS = 14
N_ROWS = SENSOR_DAYS * 24 * 60 // STEP_MIN  # 4032
FIRST_SENSOR_DAY = datetime(2025, 1, 6)  # a Monday

# --------------------------------------------------------------------------------------------------
# Plant model from SPEC.md
# --------------------------------------------------------------------------------------------------

ASSETS: dict[str, str] = {
    "P-101": "centrifugal_pump",
    "P-102": "centrifugal_pump",
    "P-103": "centrifugal_pump",
    "C-201": "screw_compressor",
    "C-202": "screw_compressor",
    "M-301": "induction_motor_vfd",
    "M-302": "induction_motor_vfd",
    "S-401": "cnc_spindle",
    "S-402": "cnc_spindle",
    "H-501": "hydraulic_power_unit",
    "CV-601": "belt_conveyor",
    "CV-602": "belt_conveyor",
    "CH-701": "chiller",
    "B-801": "steam_boiler",
}

CHANNELS: dict[str, list[str]] = {
    "centrifugal_pump": [
        "vibration_mm_s",
        "bearing_temp_c",
        "motor_current_a",
        "suction_pressure_bar",
        "discharge_pressure_bar",
        "flow_m3h",
    ],
    "screw_compressor": [
        "discharge_pressure_bar",
        "airend_temp_c",
        "oil_temp_c",
        "oil_filter_dp_bar",
        "motor_current_a",
        "vibration_mm_s",
    ],
    "induction_motor_vfd": [
        "motor_current_a",
        "winding_temp_c",
        "bearing_temp_c",
        "vibration_mm_s",
        "speed_rpm",
    ],
    "cnc_spindle": [
        "spindle_vibration_mm_s",
        "spindle_temp_c",
        "spindle_load_pct",
        "coolant_temp_c",
        "speed_rpm",
    ],
    "hydraulic_power_unit": [
        "system_pressure_bar",
        "oil_temp_c",
        "return_filter_dp_bar",
        "motor_current_a",
        "tank_level_pct",
    ],
    "belt_conveyor": ["gearbox_vibration_mm_s", "gearbox_oil_temp_c", "motor_current_a", "belt_speed_m_s"],
    "chiller": [
        "chw_supply_temp_c",
        "chw_return_temp_c",
        "condenser_pressure_bar",
        "evaporator_pressure_bar",
        "compressor_current_a",
        "oil_temp_c",
    ],
    "steam_boiler": [
        "steam_pressure_bar",
        "stack_temp_c",
        "feedwater_flow_m3h",
        "drum_level_pct",
        "fan_vibration_mm_s",
    ],
}

FAILURE_MODES: dict[str, list[str]] = {
    "centrifugal_pump": [
        "bearing_wear",
        "cavitation",
        "misalignment",
        "seal_leak",
        "stuck_valve",
        "impeller_wear",
    ],
    "screw_compressor": ["clogged_filter", "overheating", "stuck_valve", "bearing_wear", "separator_failure"],
    "induction_motor_vfd": ["bearing_wear", "overheating", "misalignment", "insulation_breakdown"],
    "cnc_spindle": ["bearing_wear", "overheating", "drawbar_fault", "imbalance"],
    "hydraulic_power_unit": ["clogged_filter", "overheating", "pump_wear", "stuck_valve", "seal_leak"],
    "belt_conveyor": ["bearing_wear", "misalignment", "belt_slip", "overheating"],
    "chiller": ["condenser_fouling", "refrigerant_leak", "clogged_filter", "overheating", "bearing_wear"],
    "steam_boiler": ["tube_fouling", "stuck_valve", "low_water", "bearing_wear", "seal_leak"],
}

# Required fault codes (SPEC.md), with the unit, limit and direction used on ALARM lines (limits from the
# manuals). unit None = a switch / status alarm that is logged without a value.
ALARM_DEFS: dict[str, tuple[str, str | None, float, str, int]] = {
    "E101": ("HIGH VIBRATION ALARM", "mm/s", 4.5, "high", 2),
    "E102": ("HIGH VIBRATION TRIP", "mm/s", 7.1, "high", 2),
    "E103": ("BEARING TEMP HIGH", "degC", 85.0, "high", 1),
    "E104": ("LOW SUCTION PRESSURE", "bar", 0.50, "low", 2),
    "E105": ("SEAL LEAK DETECTED", None, 0.0, "", 0),
    "E106": ("LOW FLOW / DRY RUN", "m3/h", 30.0, "low", 1),
    "E107": ("MOTOR OVERLOAD", "A", 54.0, "high", 1),
    "E201": ("HIGH AIREND TEMP", "degC", 105.0, "high", 1),
    "E202": ("OIL FILTER DP HIGH", "bar", 1.40, "high", 2),
    "E203": ("SEPARATOR DP HIGH", "bar", 0.80, "high", 2),
    "E204": ("HIGH DISCHARGE PRESSURE", "bar", 8.20, "high", 2),
    "E205": ("MOTOR OVERLOAD", "A", 69.0, "high", 1),
    "E206": ("HIGH VIBRATION", "mm/s", 6.0, "high", 2),
    "E301": ("OVERCURRENT", None, 0.0, "", 0),
    "E302": ("DC BUS OVERVOLTAGE", "V", 800.0, "high", 0),
    "E303": ("MOTOR OVERTEMP (PTC)", None, 0.0, "", 0),
    "E304": ("GROUND FAULT", None, 0.0, "", 0),
    "E305": ("HIGH VIBRATION", "mm/s", 4.5, "high", 2),
    "E306": ("PHASE LOSS", None, 0.0, "", 0),
    "E401": ("SPINDLE OVERTEMP", "degC", 50.0, "high", 1),
    "E402": ("SPINDLE VIBRATION HIGH", "mm/s", 2.5, "high", 2),
    "E403": ("TOOL UNCLAMP FAULT", None, 0.0, "", 0),
    "E404": ("SPINDLE OVERLOAD", "pct", 120.0, "high", 0),
    "E405": ("LUBE PRESSURE LOW", None, 0.0, "", 0),
    "E501": ("OIL TEMP HIGH", "degC", 65.0, "high", 1),
    "E502": ("RETURN FILTER CLOGGED", "bar", 2.50, "high", 2),
    "E503": ("LOW TANK LEVEL", "pct", 65.0, "low", 1),
    "E504": ("SYSTEM PRESSURE LOW", "bar", 140.0, "low", 1),
    "E505": ("SYSTEM PRESSURE HIGH", "bar", 175.0, "high", 1),
    "E506": ("MOTOR OVERLOAD", "A", 59.0, "high", 1),
    "E601": ("BELT SLIP", "m/s", 1.80, "low", 2),
    "E602": ("BELT MISTRACK", None, 0.0, "", 0),
    "E603": ("GEARBOX OIL TEMP HIGH", "degC", 85.0, "high", 1),
    "E604": ("GEARBOX VIBRATION HIGH", "mm/s", 4.5, "high", 2),
    "E605": ("MOTOR OVERLOAD", "A", 72.0, "high", 1),
    "E606": ("PULL-CORD STOP", None, 0.0, "", 0),
    "E701": ("HIGH CONDENSER PRESSURE", "bar", 11.5, "high", 2),
    "E702": ("LOW EVAPORATOR PRESSURE", "bar", 1.6, "low", 2),
    "E703": ("LOW CHW FLOW", None, 0.0, "", 0),
    "E704": ("OIL TEMP HIGH", "degC", 80.0, "high", 1),
    "E705": ("COMPRESSOR OVERLOAD", "A", 150.0, "high", 1),
    "E706": ("FREEZE PROTECTION", "degC", 2.0, "low", 1),
    "E801": ("LOW WATER LEVEL", "pct", 35.0, "low", 1),
    "E802": ("HIGH STEAM PRESSURE", "bar", 10.0, "high", 2),
    "E803": ("FLAME FAILURE", None, 0.0, "", 0),
    "E804": ("HIGH STACK TEMP", "degC", 200.0, "high", 1),
    "E805": ("FEEDWATER PUMP FAIL", None, 0.0, "", 0),
    "E806": ("FD FAN VIBRATION HIGH", "mm/s", 4.5, "high", 2),
}

# decimals written per channel in the sensor CSVs
DECIMALS: dict[str, int] = {
    "vibration_mm_s": 2,
    "bearing_temp_c": 1,
    "motor_current_a": 1,
    "suction_pressure_bar": 2,
    "discharge_pressure_bar": 2,
    "flow_m3h": 1,
    "airend_temp_c": 1,
    "oil_temp_c": 1,
    "oil_filter_dp_bar": 3,
    "winding_temp_c": 1,
    "speed_rpm": 0,
    "spindle_vibration_mm_s": 3,
    "spindle_temp_c": 1,
    "spindle_load_pct": 1,
    "coolant_temp_c": 2,
    "system_pressure_bar": 1,
    "return_filter_dp_bar": 3,
    "tank_level_pct": 2,
    "gearbox_vibration_mm_s": 2,
    "gearbox_oil_temp_c": 1,
    "belt_speed_m_s": 3,
    "chw_supply_temp_c": 2,
    "chw_return_temp_c": 2,
    "condenser_pressure_bar": 2,
    "evaporator_pressure_bar": 3,
    "compressor_current_a": 1,
    "steam_pressure_bar": 2,
    "stack_temp_c": 1,
    "feedwater_flow_m3h": 2,
    "drum_level_pct": 1,
    "fan_vibration_mm_s": 2,
}

SENSOR_ASSETS: list[str] = [
    "P-101",
    "P-102",
    "P-103",
    "C-201",
    "C-202",
    "M-301",
    "M-302",
    "S-401",
    "H-501",
    "CV-601",
    "CH-701",
    "B-801",
]

TECHS: dict[str, list[str]] = {
    "mech": ["RTS", "DLW", "KOP", "AB", "MHN", "JB"],
    "elec": ["EJ", "PRV", "SN"],
    "cnc": ["TV", "LF", "AB"],
    "util": ["KOP", "GH", "RTS", "DLW"],
}
TECH_POOL: dict[str, str] = {
    "centrifugal_pump": "mech",
    "screw_compressor": "mech",
    "induction_motor_vfd": "elec",
    "cnc_spindle": "cnc",
    "hydraulic_power_unit": "mech",
    "belt_conveyor": "mech",
    "chiller": "util",
    "steam_boiler": "util",
}
OPERATORS: list[str] = ["JMK", "BTA", "CLR", "NDS", "WPO", "GHT"]

PART_PRICES: dict[str, float] = {
    "CP80-301": 1240.0,
    "CP80-211": 96.0,
    "CP80-212": 310.0,
    "CP80-215": 22.0,
    "CP80-220": 145.0,
    "CP80-110": 180.0,
    "CP80-111": 175.0,
    "CP80-120": 1650.0,
    "CP80-160": 265.0,
    "CP80-180": 14.0,
    "KA-4002": 68.0,
    "KA-4003": 92.0,
    "KA-4004": 410.0,
    "KA-4010": 265.0,
    "KA-4020": 385.0,
    "KA-4021": 240.0,
    "KA-4030": 120.0,
    "KA-4040": 145.0,
    "KA-4050": 55.0,
    "KA-4080": 150.0,
    "KA-4081": 560.0,
    "VT-200-BRG-DE": 185.0,
    "VT-200-BRG-NDE": 120.0,
    "VT-200-BRG-NDE-I": 390.0,
    "VT-200-WSP": 9.0,
    "VT-200-FAN4": 140.0,
    "VT-200-PTC155": 60.0,
    "VG-2P-400": 18.0,
    "AT-SP12-CRT": 14800.0,
    "AT-DSK40": 640.0,
    "AT-COL40": 520.0,
    "AT-PS40": 24.0,
    "AT-OAF-2": 115.0,
    "AT-CL25": 95.0,
    "SL-32-5": 70.0,
    "BFT-RF160-10": 112.0,
    "BFT-BR-3D": 65.0,
    "BFT-RV190-C": 690.0,
    "BFT-PC160": 980.0,
    "BFT-BP71V-X": 6400.0,
    "BFT-SS-BP71": 85.0,
    "BFT-SK-HPU30": 140.0,
    "BFT-BK55-S": 45.0,
    "TCS-LAG-12D": 1450.0,
    "TCS-BRG-22222": 720.0,
    "TCS-BRG-22218": 480.0,
    "TCS-FT140-E": 210.0,
    "TCS-GC125-SK": 130.0,
    "TCS-OIL-220-20": 190.0,
    "TCS-GBX-SK": 160.0,
    "TCS-GBX-25X": 9800.0,
    "TCS-IDL-133C": 95.0,
    "TCS-PCS-01": 230.0,
    "TCS-BSS-01": 260.0,
    "TCS-SPD-01": 310.0,
    "PCE-OIL-170-20": 420.0,
    "PCE-OF-1010": 95.0,
    "PCE-FD-48": 78.0,
    "PCE-STR-125": 260.0,
    "PCE-GK-125": 35.0,
    "PCE-GK-WB400": 310.0,
    "PCE-TB-19": 45.0,
    "PCE-BK-95": 7600.0,
    "HB-DG-25": 120.0,
    "HB-MG-320": 85.0,
    "HB-HG-100": 32.0,
    "HB-EG-20": 140.0,
    "HB-TB-63": 60.0,
    "HB-FB-6309": 240.0,
    "HB-LP-02": 310.0,
}
LABOR_RATE = 72.0
T = TypeVar("T")


def rng_for(*keys: str) -> np.random.Generator:
    """Return an independent generator for a named purpose (stable across runs and Python versions)."""
    return np.random.default_rng([SEED, zlib.crc32("|".join(keys).encode("utf-8"))])


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """Pick one element of a list with the given generator."""
    return items[int(rng.integers(len(items)))]


# --------------------------------------------------------------------------------------------------
# Work-order text library (technician shorthand; typos are deliberate)
# --------------------------------------------------------------------------------------------------


@dataclass
class ModeLib:
    """Everything needed to write work orders and alarms for one (asset type, failure mode)."""

    problems: list[str]
    causes: list[str]
    actions: list[tuple[str, list[str]]]
    downtime: tuple[float, float]
    crew: int
    em_prob: float
    gradual: bool
    codes: list[tuple[str, str | None]]
    trip: tuple[str, str] | None
    vals: dict[str, tuple[float, float, int]]
    stop: bool = True


CM_LIB: dict[str, dict[str, ModeLib]] = {
    "centrifugal_pump": {
        "bearing_wear": ModeLib(
            problems=[
                "NDE BRG HOT",
                "HI VIB OB {vib} mm/s",
                "brg noisy, vib up to {vib}",
                "BRG TEMP HI {btemp} C",
                "grinding noise frm brg housing",
                "pump brg rumbling - pls chk",
                "OB BRG HOT + HI VIB",
                "brng noise pump end, oil dark in sight glass",
            ],
            causes=[
                "Pump end brg 6309 spalled on outer race, oil dark",
                "Thrust brg pair 7309 worn, water in oil (milky)",
                "Oiler ran empty, brgs overheated and worn",
                "Brg frame oil degraded, cage of 6309 worn",
                "Lip seal failed, water ingress, brgs corroded",
            ],
            actions=[
                (
                    "Replaced brgs CP80-211 + pair CP80-212, new locknut"
                    " CP80-215, oil chg NVL-68, vib after {vib2} mm/s",
                    ["CP80-211", "CP80-212", "CP80-215", "CP80-180"],
                ),
                (
                    "R&R pump end brg 6309 and isolator kit CP80-220, refilled oil 0.55 L, ran ok vib {vib2}",
                    ["CP80-211", "CP80-220", "CP80-180"],
                ),
                (
                    "Rebuilt brg frame: both brgs, lip seals/isolators CP80-220,"
                    " realigned after rebuild. vib {vib2} mm/s",
                    ["CP80-211", "CP80-212", "CP80-220", "CP80-215", "CP80-180"],
                ),
            ],
            downtime=(6.0, 11.0),
            crew=2,
            em_prob=0.2,
            gradual=True,
            codes=[("E101", "vib"), ("E103", "btemp")],
            trip=("E102", "vibtrip"),
            vals={
                "vib": (4.6, 6.9, 1),
                "btemp": (85.5, 93.0, 1),
                "vib2": (1.2, 2.2, 1),
                "vibtrip": (7.2, 9.4, 2),
            },
        ),
        "cavitation": ModeLib(
            problems=[
                "PMP CAVITATING",
                "crackling noise @ pump, suct press low",
                "Low suction {ps} bar, flow erratic",
                "pump sounds like gravel",
                "PMP CAVITATNG - flow hunting",
                "suction press dropping, noisy pump",
            ],
            causes=[
                "Suction strainer blinded with debris",
                "Suction valve found 1/3 closed after shutdown",
                "Low level in suction tank, level xmtr reading high",
                "Strainer basket plugged w/ rags and scale",
                "Air entrained from vortex at low tank level",
            ],
            actions=[
                ("Cleaned suction strainer, suct press back to {ps2} bar, noise gone", []),
                ("Opened suction vlv fully and tagged OPEN, flushed strainer, flow stable {flow} m3/h", []),
                (
                    "Pulled & cleaned strainer basket, new strainer cover gasket, vented casing",
                    [],
                ),
                ("Cleaned strainer + recalibrated tank LT, suction {ps2} bar at {flow} m3/h", []),
            ],
            downtime=(1.0, 3.0),
            crew=2,
            em_prob=0.15,
            gradual=True,
            codes=[("E104", "ps"), ("E101", "vib")],
            trip=None,
            vals={
                "ps": (0.28, 0.49, 2),
                "ps2": (1.05, 1.35, 2),
                "vib": (4.6, 6.2, 1),
                "flow": (112.0, 130.0, 0),
            },
        ),
        "misalignment": ModeLib(
            problems=[
                "CHK ALIGN",
                "HI VIB axial DE {vib} mm/s",
                "coupling noisy, vib up",
                "vib hi after mtr chg - chk alignmt",
                "HI VIB cplg end",
                "chk allignment P/M, vib {vib}",
            ],
            causes=[
                "Parallel offset 0.21 mm, soft foot on motor NDE foot",
                "Coupling disc pack cracked, angular misalign",
                "Baseplate grout cracked, motor feet moved",
                "Pipe strain on suction flange pulled pump out of line",
            ],
            actions=[
                ("Laser aligned pump/motor to 0.03 mm, corrected soft foot with shims, vib {vib2} mm/s", []),
                ("Replaced coupling disc pack CP80-160, realigned to 0.04 mm offset", ["CP80-160"]),
                ("Released pipe supports, re-set suction flange, realigned, vib {vib2}", []),
            ],
            downtime=(2.0, 4.5),
            crew=2,
            em_prob=0.05,
            gradual=True,
            codes=[("E101", "vib")],
            trip=None,
            vals={"vib": (4.6, 6.0, 1), "vib2": (1.1, 2.0, 1)},
        ),
        "seal_leak": ModeLib(
            problems=[
                "LKG @ SEAL",
                "seal leaking DE side",
                "MECH SEAL LKG - puddle under pump",
                "lkg at mech seal ~1 drop/s",
                "seal leeking again",
                "{code} seal pot alarm, lkg confirmed",
                "water spraying frm seal area",
            ],
            causes=[
                "Seal faces scored, abrasive fines in process water",
                "Carbon face chipped, dry running at low tank level",
                "EPDM O-ring hardened and cracked",
                "Seal faces heat checked, flush line blocked",
                "Shaft sleeve worn under O-ring, seal not seating",
            ],
            actions=[
                ("Replaced mech seal CP80-301, flushed, leak test ok", ["CP80-301"]),
                (
                    "R&R cartridge seal CP80-301, new casing gasket, ran 30 min no lkg",
                    ["CP80-301"],
                ),
                (
                    "Fitted new cartridge seal CP80-301, cleaned seal pot float sw, cleared flush line",
                    ["CP80-301"],
                ),
                (
                    "Changed mech seal (CP80-301), shaft runout {runout} mm ok, leak check ok after 1 h",
                    ["CP80-301"],
                ),
            ],
            downtime=(4.0, 7.0),
            crew=2,
            em_prob=0.1,
            gradual=True,
            codes=[("E105", None)],
            trip=None,
            vals={"runout": (0.01, 0.03, 2)},
        ),
        "stuck_valve": ModeLib(
            problems=[
                "LOW FLOW disch vlv?",
                "flow low {flow} m3/h, disch press hi",
                "Disch valve wont open fully",
                "{code} low flow, vlv stuck",
                "no flow after changeover - vlv",
            ],
            causes=[
                "Discharge gate valve stem galled, wedge stuck part closed",
                "Check valve flap jammed with debris",
                "Valve actuator coupling to stem sheared",
                "Gland packing overtightened, stem seized",
            ],
            actions=[
                ("Freed disch valve stem, repacked gland, stroked 0-100 pct ok", []),
                (
                    "Removed check valve, cleared debris, new hinge pin and cover gasket",
                    [],
                ),
                ("Replaced valve actuator coupling, stroked valve ok, flow {flow2} m3/h", []),
            ],
            downtime=(2.0, 5.0),
            crew=2,
            em_prob=0.25,
            gradual=False,
            codes=[("E106", "flow")],
            trip=None,
            vals={"flow": (12.0, 29.0, 1), "flow2": (115.0, 128.0, 0)},
        ),
        "impeller_wear": ModeLib(
            problems=[
                "LOW DISCH PRESS",
                "pump not making head",
                "flow & press down vs baseline",
                "perf test low - impllr?",
            ],
            causes=[
                "Wear ring clearance 1.1 mm (limit 0.90)",
                "Impeller vanes eroded, sand carry-over",
                "Impeller eye worn and front wear ring rubbed",
            ],
            actions=[
                (
                    "Replaced front/rear wear rings CP80-110/CP80-111, clearance now 0.40 mm",
                    ["CP80-110", "CP80-111"],
                ),
                (
                    "New impeller CP80-120 + wear rings CP80-110/CP80-111, new casing gasket, perf test ok",
                    ["CP80-120", "CP80-110", "CP80-111"],
                ),
            ],
            downtime=(8.0, 14.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[],
            trip=None,
            vals={},
        ),
    },
    "screw_compressor": {
        "clogged_filter": ModeLib(
            problems=[
                "OIL FILTER DP HI",
                "{code} oil filt dp alarm",
                "C/O FILTER - dp {fdp} bar",
                "oil filtr blocked again",
                "FILTER DP HIGH - chg oil filter",
                "oil filter dp {fdp}, airend running warm",
            ],
            causes=[
                "Oil filter element loaded, oil dark",
                "Oil varnishing from high ambient, filter plugged early",
                "Wrong oil filter fitted at last service, element collapsed",
                "Oil past change interval, sludge in filter",
            ],
            actions=[
                ("C/O oil filter KA-4002, dp now {fdp2} bar", ["KA-4002"]),
                ("Changed oil filter KA-4002 + took oil sample, dp {fdp2} bar after 1 h", ["KA-4002"]),
                (
                    "Replaced oil filter KA-4002 and oil 16 L K-Lube S46, filter dp {fdp2} bar",
                    ["KA-4002", "KA-4010"],
                ),
            ],
            downtime=(0.7, 1.5),
            crew=1,
            em_prob=0.05,
            gradual=True,
            codes=[("E202", "fdp"), ("E201", "atemp")],
            trip=None,
            vals={"fdp": (1.41, 1.75, 2), "fdp2": (0.28, 0.42, 2), "atemp": (105.2, 108.5, 1)},
        ),
        "overheating": ModeLib(
            problems=[
                "HI AIREND TEMP",
                "comp tripped hot",
                "AIREND TEMP {atemp} C",
                "oil temp hi - cooler?",
                "compresor running hot, {code}",
            ],
            causes=[
                "Oil cooler fins blocked with dust and lint",
                "Thermostatic element stuck, oil bypassing cooler",
                "Cooling fan motor brg seized",
                "Oil level low - leak at sump drain plug",
                "Room ventilation louvre shut, hot air recirculating",
            ],
            actions=[
                ("Blew out cooler fins, washed with degreaser, airend temp {atemp2} C", []),
                ("Replaced thermostatic element KA-4030, temp now {atemp2} C", ["KA-4030"]),
                ("Replaced cooler fan motor brgs, cleaned cooler, ran 2 h ok", []),
                ("Topped up oil 4 L from KA-4010, new drain plug seal, temps normal", ["KA-4010"]),
                ("Opened and locked room louvre, blew out cooler, airend {atemp2} C", []),
            ],
            downtime=(2.0, 5.0),
            crew=1,
            em_prob=0.3,
            gradual=True,
            codes=[("E201", "atemp")],
            trip=("E201", "atemptrip"),
            vals={"atemp": (105.2, 108.9, 1), "atemp2": (84.0, 92.0, 0), "atemptrip": (110.1, 112.5, 1)},
        ),
        "stuck_valve": ModeLib(
            problems=[
                "HI DISCH PRESS {code}",
                "comp not unloading",
                "press hunting - MPV?",
                "disch press {dpress} bar, wont unload",
            ],
            causes=[
                "Inlet valve sticking open, O-ring swollen",
                "Minimum pressure valve seat worn, spring broken",
                "Blowdown solenoid stuck, inlet valve not closing",
            ],
            actions=[
                ("Serviced inlet valve w/ kit KA-4020, load/unload ok 6.8/7.5 bar", ["KA-4020"]),
                ("Serviced min pressure valve with kit KA-4021, press stable", ["KA-4021"]),
                ("Replaced blowdown solenoid coil + serviced inlet valve KA-4020", ["KA-4020"]),
            ],
            downtime=(2.0, 4.0),
            crew=1,
            em_prob=0.2,
            gradual=False,
            codes=[("E204", "dpress")],
            trip=None,
            vals={"dpress": (8.21, 8.45, 2)},
        ),
        "bearing_wear": ModeLib(
            problems=["HI VIB AIREND", "airend noisy, vib {vib} mm/s", "{code} vib alarm comp"],
            causes=["Airend brgs worn, metal particles in oil", "Coupling element worn, airend brg noise"],
            actions=[
                ("Airend exchanged by Kestrel service, new coupling element KA-4040", ["KA-4040"]),
                ("Replaced coupling element KA-4040, realigned 0.05 mm, vib {vib2} mm/s", ["KA-4040"]),
            ],
            downtime=(8.0, 24.0),
            crew=2,
            em_prob=0.2,
            gradual=True,
            codes=[("E206", "vib")],
            trip=None,
            vals={"vib": (6.1, 7.8, 1), "vib2": (2.0, 3.0, 1)},
        ),
        "separator_failure": ModeLib(
            problems=[
                "OIL CARRY OVER",
                "SEP DP HI",
                "oil in air lines downstream",
                "{code} sep dp {sepdp} bar",
            ],
            causes=[
                "Separator element ruptured",
                "Scavenge orifice blocked, oil flooding element",
                "Separator element blocked after oil degradation",
            ],
            actions=[
                ("Replaced separator element KA-4004 + gaskets", ["KA-4004"]),
                ("Cleaned scavenge orifice KA-4050, replaced separator KA-4004", ["KA-4050", "KA-4004"]),
            ],
            downtime=(2.5, 4.5),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E203", "sepdp")],
            trip=None,
            vals={"sepdp": (0.81, 1.05, 2)},
        ),
    },
    "induction_motor_vfd": {
        "bearing_wear": ModeLib(
            problems=[
                "MTR BRG NOISY",
                "HI VIB DE brg {vib} mm/s",
                "mtr brg hot + vib",
                "DE brg growling",
                "{code} vib alarm on mtr",
                "brg noise mtr DE, vib trending up",
            ],
            causes=[
                "DE brg 6312 C3 outer race spalled",
                "Grease dried out, DE brg worn",
                "Fluting marks on NDE brg race - shaft currents",
                "Over-greased DE brg, cage damaged",
            ],
            actions=[
                (
                    "Replaced DE + NDE brgs VT-200-BRG-DE / VT-200-BRG-NDE, new wave spring, vib {vib2} mm/s",
                    ["VT-200-BRG-DE", "VT-200-BRG-NDE", "VT-200-WSP"],
                ),
                (
                    "Replaced both brgs, fitted insulated NDE brg VT-200-BRG-NDE-I, chkd cable screen",
                    ["VT-200-BRG-DE", "VT-200-BRG-NDE-I", "VT-200-WSP"],
                ),
                (
                    "R&R brgs VT-200-BRG-DE and VT-200-BRG-NDE, greased 20 g/13 g, vib {vib2}",
                    ["VT-200-BRG-DE", "VT-200-BRG-NDE", "VG-2P-400"],
                ),
            ],
            downtime=(6.0, 10.0),
            crew=2,
            em_prob=0.15,
            gradual=True,
            codes=[("E305", "vib")],
            trip=None,
            vals={"vib": (4.6, 6.8, 1), "vib2": (0.9, 1.8, 1)},
        ),
        "overheating": ModeLib(
            problems=[
                "MTR OVERTEMP",
                "{code} PTC trip",
                "mtr hot - fins blocked",
                "winding temp {wtemp} C",
                "motor running hot, cowl clogged",
            ],
            causes=[
                "Cooling fins packed w/ dust, cowl grille blocked",
                "Cooling fan cracked, blades missing",
                "VX-4 filter mat blocked, drive and motor hot",
                "Long run below 25 Hz at high torque",
            ],
            actions=[
                ("Cleaned fins + cowl grille, cleaned VX-4 filter mat", []),
                ("Replaced cooling fan VT-200-FAN4, cleaned fins", ["VT-200-FAN4"]),
                ("Cleaned motor, set min speed 25 Hz per eng, winding temp {wtemp2} C", []),
            ],
            downtime=(1.0, 3.0),
            crew=1,
            em_prob=0.35,
            gradual=True,
            codes=[("E303", None)],
            trip=None,
            vals={"wtemp": (136.0, 149.0, 0), "wtemp2": (88.0, 104.0, 0)},
        ),
        "misalignment": ModeLib(
            problems=["HI VIB axial 2X", "CHK ALIGN", "vib hi after fan work", "{code} vib, axial high"],
            causes=[
                "Angular misalignment 0.18 mm/100 mm, soft foot",
                "Coupling gap 5.5 mm, coupling element worn",
                "Foot bolts loose, motor moved",
            ],
            actions=[
                ("Laser aligned, shims under NDE feet, vib {vib2} mm/s", []),
                ("Set coupling gap 3.0 mm, realigned, foot bolts retorqued", []),
            ],
            downtime=(2.0, 4.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E305", "vib")],
            trip=None,
            vals={"vib": (4.6, 5.6, 1), "vib2": (1.0, 1.8, 1)},
        ),
        "insulation_breakdown": ModeLib(
            problems=[
                "GND FAULT TRIP",
                "mtr trips on {code} ground fault",
                "drive trips at start - ground fault",
            ],
            causes=[
                "Winding IR 0.8 MOhm, moisture in terminal box",
                "Interturn failure in phase V, burnt winding",
                "Cable insulation damaged at gland",
            ],
            actions=[
                (
                    "Dried winding 24 h on anti-condensation heaters, IR {ir} MOhm, new terminal box gasket",
                    [],
                ),
                ("Motor rewound by shop, refitted, IR >1000 MOhm, PTC set VT-200-PTC155", ["VT-200-PTC155"]),
                ("Replaced damaged cable section + gland, IR {ir} MOhm", []),
            ],
            downtime=(8.0, 40.0),
            crew=2,
            em_prob=1.0,
            gradual=False,
            codes=[("E304", None)],
            trip=("E304", ""),
            vals={"ir": (150.0, 900.0, 0)},
        ),
    },
    "cnc_spindle": {
        "drawbar_fault": ModeLib(
            problems=[
                "TOOL UNCLAMP FAULT",
                "tool wont release",
                "ATC stuck, drawbar",
                "tool pullout - clamp force low",
                "{code} on tool chg",
                "chatter + fretting on taper",
            ],
            causes=[
                "Drawbar disc springs fatigued, clamp force {kn} kN (min 8.0)",
                "Unclamp stroke out of setting",
                "Wrong pull stud on holder, not AT-PS40",
                "Collet segments seized with chips/coolant",
                "Dirty taper, coolant ingress",
            ],
            actions=[
                ("Replaced disc spring kit AT-DSK40, clamp force {kn2} kN", ["AT-DSK40"]),
                ("Reset unclamp stroke to 6.0 mm, force {kn2} kN ok", []),
                ("Replaced pull studs AT-PS40 on T12/T14 at 45 Nm, cleaned taper", ["AT-PS40"]),
                (
                    "Replaced collet AT-COL40 + disc springs AT-DSK40, force {kn2} kN",
                    ["AT-COL40", "AT-DSK40"],
                ),
                ("Cleaned taper + collet, re-aimed coolant nozzle, clamp force {kn2} kN", []),
            ],
            downtime=(2.0, 5.0),
            crew=1,
            em_prob=0.2,
            gradual=False,
            codes=[("E403", None)],
            trip=None,
            vals={"kn": (6.2, 7.8, 1), "kn2": (9.8, 10.4, 1)},
        ),
        "overheating": ModeLib(
            problems=[
                "SPINDLE OVERTEMP",
                "spndl hot - chiller?",
                "lube press low then overtemp",
                "spindle temp {stemp} C",
            ],
            causes=[
                "Spindle chiller condenser fins clogged",
                "Oil-air reservoir empty, lube line air-locked",
                "Chiller coolant low, strainer blocked",
                "Oil-air filter blocked",
            ],
            actions=[
                ("Cleaned chiller condenser + air filter, temps back to normal", []),
                (
                    "Filled oil-air unit with SL-32, bled lines, replaced filter kit AT-OAF-2",
                    ["SL-32-5", "AT-OAF-2"],
                ),
                ("Topped up chiller with AT-CL25, cleaned strainer, bled circuit", ["AT-CL25"]),
            ],
            downtime=(1.5, 4.0),
            crew=1,
            em_prob=0.2,
            gradual=True,
            codes=[("E401", "stemp"), ("E405", None)],
            trip=None,
            vals={"stemp": (50.2, 56.0, 1)},
        ),
        "bearing_wear": ModeLib(
            problems=[
                "SPNDL VIB HI",
                "spindle noisy at 10k",
                "chatter marks on parts, spindle brg?",
                "{code} spindle vib {svib}",
            ],
            causes=[
                "Front bearing set worn, runout 0.012 mm",
                "Bearings damaged after Z crash, preload lost",
            ],
            actions=[
                ("Spindle cartridge exchanged AT-SP12-CRT, runout 0.002 mm", ["AT-SP12-CRT"]),
                ("Fitted spare cartridge AT-SP12-CRT, old one sent for rebuild", ["AT-SP12-CRT"]),
            ],
            downtime=(8.0, 16.0),
            crew=2,
            em_prob=0.1,
            gradual=True,
            codes=[("E402", "svib"), ("E401", "stemp")],
            trip=None,
            vals={"svib": (2.6, 3.6, 2), "stemp": (50.3, 53.0, 1)},
        ),
        "imbalance": ModeLib(
            problems=["VIB AT SPEED > 10k", "spindle vib hi w/ T5 holder", "{code} at 12000 rpm"],
            causes=[
                "Toolholder T5 out of balance (G2.5 not met)",
                "Balance screw lost from shrink-fit holder",
            ],
            actions=[
                ("Balanced holder T5 to G2.5, vib {svib2} mm/s at 12k", []),
                ("Replaced unbalanced holder, vib {svib2} mm/s", []),
            ],
            downtime=(0.5, 2.0),
            crew=1,
            em_prob=0.0,
            gradual=False,
            codes=[("E402", "svib")],
            trip=None,
            vals={"svib": (2.55, 3.4, 2), "svib2": (0.5, 0.9, 2)},
        ),
    },
    "hydraulic_power_unit": {
        "clogged_filter": ModeLib(
            problems=[
                "RET FILTER DP HI",
                "{code} filter clogged",
                "filter indicator red",
                "ret filter dp {fdp} bar",
            ],
            causes=[
                "Return element loaded, end of life",
                "Element blinded early - contamination, ISO 20/18/15",
                "Water in oil, element swollen",
            ],
            actions=[
                ("C/O return filter BFT-RF160-10, dp {fdp2} bar", ["BFT-RF160-10"]),
                ("Changed return element BFT-RF160-10 + oil sample, filter cart run 8 h", ["BFT-RF160-10"]),
                (
                    "Replaced return element BFT-RF160-10 and breather BFT-BR-3D",
                    ["BFT-RF160-10", "BFT-BR-3D"],
                ),
            ],
            downtime=(0.7, 1.5),
            crew=1,
            em_prob=0.0,
            gradual=True,
            codes=[("E502", "fdp")],
            trip=None,
            vals={"fdp": (2.52, 3.2, 2), "fdp2": (0.55, 0.8, 2)},
        ),
        "seal_leak": ModeLib(
            problems=[
                "OIL LKG @ HPU",
                "LOW TANK LVL",
                "oil on floor under valve stack",
                "tank level {tank} pct, leak",
            ],
            causes=[
                "O-ring on P-port manifold extruded",
                "Pump shaft seal leaking, oil at bell housing",
                "Hose fitting loose at cylinder",
                "Return line flange O-ring cracked",
            ],
            actions=[
                ("Replaced O-rings from kit BFT-SK-HPU30, topped up {litres} L HM 46", ["BFT-SK-HPU30"]),
                ("Replaced pump shaft seal BFT-SS-BP71, topped up {litres} L", ["BFT-SS-BP71"]),
                ("Retightened hose fitting, new O-ring BFT-SK-HPU30, top up {litres} L", ["BFT-SK-HPU30"]),
            ],
            downtime=(1.5, 4.0),
            crew=2,
            em_prob=0.1,
            gradual=True,
            codes=[("E503", "tank")],
            trip=None,
            vals={"tank": (60.0, 64.8, 1), "litres": (20.0, 60.0, 0)},
        ),
        "overheating": ModeLib(
            problems=["OIL TEMP HI", "HPU oil hot {otemp} C", "{code} oil temp"],
            causes=[
                "Cooler fins clogged with dust",
                "Cooler fan thermostat failed",
                "Relief valve passing, oil hot",
            ],
            actions=[
                ("Cleaned cooler fins, checked fan, oil {otemp2} C", []),
                ("Replaced fan thermostat, oil temp {otemp2} C", []),
                ("Reset RV1 to 190 bar, replaced cartridge BFT-RV190-C", ["BFT-RV190-C"]),
            ],
            downtime=(1.5, 3.0),
            crew=1,
            em_prob=0.1,
            gradual=True,
            codes=[("E501", "otemp")],
            trip=None,
            vals={"otemp": (65.3, 69.5, 1), "otemp2": (46.0, 52.0, 0)},
        ),
        "pump_wear": ModeLib(
            problems=["SYS PRESS LOW", "press low, slow cylinders", "{code} press {spress} bar"],
            causes=["Pump worn, case drain 6.1 L/min", "Pump worn, metal on return element"],
            actions=[
                (
                    "Exchanged pump BFT-BP71V-X + coupling spider BFT-BK55-S, case drain 1.8 L/min",
                    ["BFT-BP71V-X", "BFT-BK55-S"],
                )
            ],
            downtime=(6.0, 10.0),
            crew=2,
            em_prob=0.2,
            gradual=True,
            codes=[("E504", "spress")],
            trip=None,
            vals={"spress": (128.0, 139.0, 1)},
        ),
        "stuck_valve": ModeLib(
            problems=["SYS PRESS HI", "{code} press {spresshi} bar", "relief vlv chattering"],
            causes=["Relief valve RV1 cartridge sticking", "Compensator spool sticking"],
            actions=[
                ("Replaced RV1 cartridge BFT-RV190-C, set 190 bar", ["BFT-RV190-C"]),
                ("Replaced compensator BFT-PC160, set 160 bar", ["BFT-PC160"]),
            ],
            downtime=(2.0, 4.0),
            crew=1,
            em_prob=0.2,
            gradual=False,
            codes=[("E505", "spresshi")],
            trip=None,
            vals={"spresshi": (175.5, 182.0, 1)},
        ),
    },
    "belt_conveyor": {
        "belt_slip": ModeLib(
            problems=[
                "BELT SLIP",
                "belt slipping on drive pulley",
                "slip alarm - wet material",
                "{code} belt speed {bspeed}",
                "belt slippng at start w/ load",
            ],
            causes=[
                "Drive pulley lagging worn smooth",
                "Take-up screw backed off, tension low",
                "Wet fines on pulley face, scraper blade worn",
                "Belt started loaded after pull-cord stop",
            ],
            actions=[
                ("Relagged drive pulley with TCS-LAG-12D", ["TCS-LAG-12D"]),
                ("Re-tensioned belt at take-up, 2 x 25 mm, slip cleared", []),
                ("Replaced scraper blade, cleaned pulley face, tension chk ok", []),
                ("Tensioned belt, instructed ops to start empty", []),
            ],
            downtime=(1.5, 5.0),
            crew=2,
            em_prob=0.2,
            gradual=True,
            codes=[("E601", "bspeed")],
            trip=None,
            vals={"bspeed": (1.62, 1.79, 2)},
        ),
        "misalignment": ModeLib(
            problems=[
                "BELT MISTRACK",
                "belt running off to L side",
                "HI VIB GBX input - chk cplg align",
                "belt rubbing structure at tail",
                "{code} belt sway sw",
            ],
            causes=[
                "Carrying idlers out of square at tail",
                "Return idler seized, belt walking",
                "Motor/gearbox coupling misaligned, soft foot",
                "Material build-up on tail pulley",
            ],
            actions=[
                ("Trained belt, squared 3 idler sets", []),
                ("Replaced seized idler TCS-IDL-133C, tracking ok", ["TCS-IDL-133C"]),
                ("Realigned motor/gearbox coupling, new tyre element TCS-FT140-E", ["TCS-FT140-E"]),
                ("Cleaned tail pulley, tracked belt", []),
            ],
            downtime=(2.0, 5.0),
            crew=2,
            em_prob=0.05,
            gradual=True,
            codes=[("E602", None), ("E604", "gvib")],
            trip=None,
            vals={"gvib": (4.6, 5.8, 1)},
        ),
        "bearing_wear": ModeLib(
            problems=["GBX VIB HI", "gearbox noisy", "{code} gbx vib {gvib} mm/s", "gbx whining + hot"],
            causes=["Gearbox input brg worn, metal on magnetic plug", "Drive pulley brg 22222 worn"],
            actions=[
                ("Exchanged gearbox TCS-GBX-25X, new oil", ["TCS-GBX-25X", "TCS-OIL-220-20"]),
                ("Replaced drive pulley brg TCS-BRG-22222", ["TCS-BRG-22222"]),
            ],
            downtime=(6.0, 14.0),
            crew=3,
            em_prob=0.1,
            gradual=True,
            codes=[("E604", "gvib"), ("E603", "gtemp")],
            trip=None,
            vals={"gvib": (4.6, 6.5, 1), "gtemp": (85.3, 90.0, 1)},
        ),
        "overheating": ModeLib(
            problems=["GBX OIL TEMP HI", "{code} gbx oil {gtemp} C", "gearbox hot - oil lvl low"],
            causes=["Gearbox oil low - leak at output seal", "Oil degraded, wrong grade topped up"],
            actions=[
                (
                    "Replaced output shaft seal TCS-GBX-SK, topped up ISO VG 220",
                    ["TCS-GBX-SK", "TCS-OIL-220-20"],
                ),
                ("Changed gearbox oil 24 L TCS-OIL-220-20", ["TCS-OIL-220-20"]),
            ],
            downtime=(1.5, 3.5),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E603", "gtemp")],
            trip=None,
            vals={"gtemp": (85.2, 89.0, 1)},
        ),
    },
    "chiller": {
        "condenser_fouling": ModeLib(
            problems=["HI COND PRESS", "{code} cond press {cp} bar", "cond approach high, amps up"],
            causes=["Condenser tubes scaled - tower water treatment low", "Biofilm in condenser tubes"],
            actions=[
                (
                    "Brushed condenser tubes PCE-TB-19, new water box gaskets PCE-GK-WB400",
                    ["PCE-TB-19", "PCE-GK-WB400"],
                ),
                ("Brushed cond tubes, approach now 1.8 K, new gasket set PCE-GK-WB400", ["PCE-GK-WB400"]),
            ],
            downtime=(6.0, 10.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E701", "cp")],
            trip=None,
            vals={"cp": (11.6, 12.6, 2)},
        ),
        "refrigerant_leak": ModeLib(
            problems=["LOW EVAP PRESS", "bubbles in sight glass", "{code} evap press {ep} bar"],
            causes=["Leak at Schrader core on discharge line", "Flare nut on oil cooler line leaking"],
            actions=[
                ("Leak repaired, evacuated, charged {kg} kg R-134a, drier cores PCE-FD-48", ["PCE-FD-48"]),
                ("Replaced Schrader core, leak test ok, added {kg} kg R-134a", []),
            ],
            downtime=(5.0, 10.0),
            crew=2,
            em_prob=0.2,
            gradual=True,
            codes=[("E702", "ep")],
            trip=None,
            vals={"ep": (1.35, 1.58, 2), "kg": (6.0, 18.0, 0)},
        ),
        "clogged_filter": ModeLib(
            problems=["LOW CHW FLOW", "CHW dT hi", "{code} low flow"],
            causes=["Strainer screen blocked w/ scale", "Strainer screen torn, debris in evaporator"],
            actions=[
                ("Cleaned strainer, new gasket PCE-GK-125", ["PCE-GK-125"]),
                ("Replaced strainer screen PCE-STR-125 and gasket PCE-GK-125", ["PCE-STR-125", "PCE-GK-125"]),
            ],
            downtime=(1.0, 2.0),
            crew=1,
            em_prob=0.0,
            gradual=True,
            codes=[("E703", None)],
            trip=None,
            vals={},
        ),
        "overheating": ModeLib(
            problems=["OIL TEMP HI", "{code} comp oil {otemp} C"],
            causes=["Oil level low, oil logging in evaporator", "Oil filter dp 1.2 bar, filter blocked"],
            actions=[
                ("Changed oil filter PCE-OF-1010, topped up POE-170", ["PCE-OF-1010", "PCE-OIL-170-20"]),
                ("Adjusted oil return, topped up oil", []),
            ],
            downtime=(2.0, 4.0),
            crew=1,
            em_prob=0.0,
            gradual=True,
            codes=[("E704", "otemp")],
            trip=None,
            vals={"otemp": (80.2, 85.0, 1)},
        ),
        "bearing_wear": ModeLib(
            problems=["comp noisy, current creeping up", "{code} overload, comp noisy"],
            causes=["Iron 68 ppm in oil analysis, bearing wear"],
            actions=[
                (
                    "Compressor bearings replaced by Polaris service, kit PCE-BK-95, oil + drier",
                    ["PCE-BK-95", "PCE-OIL-170-20", "PCE-FD-48"],
                )
            ],
            downtime=(16.0, 40.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E705", "cur")],
            trip=None,
            vals={"cur": (150.5, 156.0, 1)},
        ),
    },
    "steam_boiler": {
        "tube_fouling": ModeLib(
            problems=["HI STACK TEMP", "{code} stack {stack} C", "stack temp up, gas usage high"],
            causes=["Fire tubes sooted after burner CO excursion", "Economiser fouled, water rise 12 K"],
            actions=[
                (
                    "Brushed fire tubes HB-TB-63, new door rope gasket HB-DG-25, stack {stack2} C",
                    ["HB-TB-63", "HB-DG-25"],
                ),
                ("Cleaned economiser, new panel gaskets HB-EG-20", ["HB-EG-20"]),
            ],
            downtime=(8.0, 14.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E804", "stack")],
            trip=None,
            vals={"stack": (200.5, 212.0, 1), "stack2": (148.0, 160.0, 0)},
        ),
        "stuck_valve": ModeLib(
            problems=[
                "FW VLV STUCK",
                "drum lvl hunting",
                "{code} low level, FW valve not opening",
                "FW ctrl vlv sticking - on bypass",
            ],
            causes=[
                "FW control valve stem packing too tight",
                "Scale on FW valve stem and plug",
                "Positioner air supply filter blocked",
            ],
            actions=[
                ("Freed FW valve stem, repacked, gland nuts 8 Nm, stroke check ok", []),
                ("Cleaned scale from FW valve plug/seat, stroke 0-100 pct ok", []),
                ("Replaced positioner air filter, stroked valve ok", []),
            ],
            downtime=(0.0, 0.0),
            crew=1,
            em_prob=0.1,
            gradual=False,
            codes=[("E801", "lvl")],
            trip=None,
            vals={"lvl": (30.0, 34.8, 1)},
            stop=False,
        ),
        "low_water": ModeLib(
            problems=["LOW WATER TRIP", "burner lockout low water", "{code} boiler lockout"],
            causes=[
                "Feed pump 2 tripped on overload, standby did not start",
                "Feed pump suction strainer blocked",
            ],
            actions=[
                ("Reset LWCO, replaced feed pump contactor, tested auto changeover", []),
                ("Cleaned feed pump strainer, tested LWCO-1/2, restarted", []),
            ],
            downtime=(1.0, 4.0),
            crew=2,
            em_prob=1.0,
            gradual=False,
            codes=[("E805", None)],
            trip=("E801", "lvllo"),
            vals={"lvllo": (24.0, 29.0, 1)},
        ),
        "bearing_wear": ModeLib(
            problems=["FD FAN VIB HI", "{code} fan vib {fvib}", "fan brg noisy"],
            causes=["Fan brg 6309 worn, grease dry", "Fan impeller dirty, brg worn"],
            actions=[
                ("Replaced FD fan brgs HB-FB-6309, vib {fvib2} mm/s", ["HB-FB-6309"]),
                ("Cleaned impeller, replaced brgs HB-FB-6309", ["HB-FB-6309"]),
            ],
            downtime=(4.0, 8.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[("E806", "fvib")],
            trip=None,
            vals={"fvib": (4.6, 6.2, 1), "fvib2": (1.2, 2.0, 1)},
        ),
        "seal_leak": ModeLib(
            problems=["handhole gasket weeping", "steam leak at manway", "water dripping frm rear handhole"],
            causes=[
                "Graphite gasket aged, yoke nuts slack",
                "Handhole seat pitted",
                "Manhole gasket blown out at 9 bar",
            ],
            actions=[
                ("Replaced handhole gasket HB-HG-100, nuts 120 Nm cold, rechecked at 2 bar", ["HB-HG-100"]),
                ("Replaced manhole gasket HB-MG-320, retorqued at 2 bar", ["HB-MG-320"]),
            ],
            downtime=(14.0, 24.0),
            crew=2,
            em_prob=0.0,
            gradual=True,
            codes=[],
            trip=None,
            vals={},
        ),
    },
}


# which action (index into ModeLib.actions) repairs each cause (index into ModeLib.causes)
CAUSE_FIX: dict[tuple[str, str], list[int]] = {
    ("centrifugal_pump", "bearing_wear"): [1, 2, 0, 1, 2],
    ("centrifugal_pump", "cavitation"): [0, 1, 3, 2, 3],
    ("centrifugal_pump", "misalignment"): [0, 1, 0, 2],
    ("centrifugal_pump", "seal_leak"): [0, 1, 0, 2, 3],
    ("centrifugal_pump", "stuck_valve"): [0, 1, 2, 0],
    ("centrifugal_pump", "impeller_wear"): [0, 1, 1],
    ("screw_compressor", "clogged_filter"): [0, 1, 0, 2],
    ("screw_compressor", "overheating"): [0, 1, 2, 3, 4],
    ("screw_compressor", "stuck_valve"): [0, 1, 2],
    ("screw_compressor", "bearing_wear"): [0, 1],
    ("screw_compressor", "separator_failure"): [0, 1, 0],
    ("induction_motor_vfd", "bearing_wear"): [0, 2, 1, 2],
    ("induction_motor_vfd", "overheating"): [0, 1, 0, 2],
    ("induction_motor_vfd", "misalignment"): [0, 1, 1],
    ("induction_motor_vfd", "insulation_breakdown"): [0, 1, 2],
    ("cnc_spindle", "drawbar_fault"): [0, 1, 2, 3, 4],
    ("cnc_spindle", "overheating"): [0, 1, 2, 1],
    ("cnc_spindle", "bearing_wear"): [0, 1],
    ("cnc_spindle", "imbalance"): [0, 1],
    ("hydraulic_power_unit", "clogged_filter"): [0, 1, 2],
    ("hydraulic_power_unit", "seal_leak"): [0, 1, 2, 0],
    ("hydraulic_power_unit", "overheating"): [0, 1, 2],
    ("hydraulic_power_unit", "pump_wear"): [0, 0],
    ("hydraulic_power_unit", "stuck_valve"): [0, 1],
    ("belt_conveyor", "belt_slip"): [0, 1, 2, 3],
    ("belt_conveyor", "misalignment"): [0, 1, 2, 3],
    ("belt_conveyor", "bearing_wear"): [0, 1],
    ("belt_conveyor", "overheating"): [0, 1],
    ("chiller", "condenser_fouling"): [0, 1],
    ("chiller", "refrigerant_leak"): [1, 0],
    ("chiller", "clogged_filter"): [0, 1],
    ("chiller", "overheating"): [1, 0],
    ("chiller", "bearing_wear"): [0],
    ("steam_boiler", "tube_fouling"): [0, 1],
    ("steam_boiler", "stuck_valve"): [0, 1, 2],
    ("steam_boiler", "low_water"): [0, 1],
    ("steam_boiler", "bearing_wear"): [0, 1],
    ("steam_boiler", "seal_leak"): [0, 0, 1],
}


# the cause found for the faults injected in the sensor files (index into ModeLib.causes)
ANCHOR_CAUSE: dict[tuple[str, str], tuple[int, int]] = {  # (cause index, problem index)
    ("P-101", "seal_leak"): (0, 5),
    ("P-102", "cavitation"): (0, 2),
    ("P-103", "stuck_valve"): (0, 1),
    ("C-201", "overheating"): (0, 4),
    ("C-202", "clogged_filter"): (0, 2),
    ("M-302", "bearing_wear"): (0, 1),
    ("S-401", "overheating"): (0, 3),
    ("H-501", "clogged_filter"): (0, 3),
    ("H-501", "seal_leak"): (2, 3),
    ("CV-601", "misalignment"): (2, 2),
    ("CV-601", "belt_slip"): (2, 3),
    ("B-801", "stuck_valve"): (0, 2),
}
# values quoted in the anchored work orders, read from the sensor file: key -> (channel, statistic)
ANCHOR_VALS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("P-102", "cavitation"): {"ps": ("suction_pressure_bar", "min")},
    ("P-103", "stuck_valve"): {"flow": ("flow_m3h", "median")},
    ("C-201", "overheating"): {"atemp": ("airend_temp_c", "max")},
    ("C-202", "clogged_filter"): {"fdp": ("oil_filter_dp_bar", "max")},
    ("M-302", "bearing_wear"): {"vib": ("vibration_mm_s", "max")},
    ("S-401", "overheating"): {"stemp": ("spindle_temp_c", "max")},
    ("H-501", "clogged_filter"): {"fdp": ("return_filter_dp_bar", "max")},
    ("H-501", "seal_leak"): {"tank": ("tank_level_pct", "min")},
    ("CV-601", "belt_slip"): {"bspeed": ("belt_speed_m_s", "min")},
    ("CV-601", "misalignment"): {"gvib": ("gearbox_vibration_mm_s", "max")},
    ("B-801", "stuck_valve"): {"lvl": ("drum_level_pct", "min")},
}


@dataclass
class PMTask:
    """One preventive or inspection task template."""

    wo_type: str
    problem: str
    action: str
    parts: list[str]
    downtime: tuple[float, float]
    crew: int


PM_LIB: dict[str, dict[str, PMTask]] = {
    "centrifugal_pump": {
        "q": PMTask(
            "INSP",
            "QTRLY INSP vib/temp route",
            "Vib {vib} mm/s OB, brg {btemp} C, oil lvl ok, no seal lkg",
            [],
            (0.0, 0.0),
            1,
        ),
        "t": PMTask(
            "INSP",
            "ANNUAL THERMOGRAPHY mtr + MCC",
            "IR scan motor, cable box and MCC bucket, max rise {dtk} K, no hot spots",
            [],
            (0.0, 0.0),
            1,
        ),
        "y": PMTask(
            "PM",
            "PM 12M SVC - brg oil, align chk",
            "Changed brg oil 0.55 L NVL-68, greased mtr brgs 15 g each, alignment {align} mm ok",
            ["CP80-180"],
            (2.0, 3.0),
            1,
        ),
    },
    "screw_compressor": {
        "2000": PMTask(
            "PM",
            "PM 2000H SVC",
            "PM 2000H done @ {hrs} h: C/O air filter KA-4003, cooler inspected, drains ok",
            ["KA-4003"],
            (1.0, 1.5),
            1,
        ),
        "4000": PMTask(
            "PM",
            "PM 4000H SVC",
            "PM 4000H done @ {hrs} h: C/O oil filter + air filter (kit"
            " KA-4080), greased mtr brgs 20 g, cplg ok",
            ["KA-4080"],
            (1.5, 2.5),
            1,
        ),
        "8000": PMTask(
            "PM",
            "PM 8000H SVC",
            "PM 8000H done @ {hrs} h: oil chg 16 L, C/O oil filter, air filter, separator (kit KA-4081)",
            ["KA-4081", "KA-4010"],
            (3.0, 4.5),
            2,
        ),
        "sv": PMTask(
            "INSP",
            "ANNUAL SAFETY VLV LIFT TEST",
            "Safety valve lifted at 9.0 bar, reseated ok, tag updated",
            [],
            (0.5, 1.0),
            1,
        ),
    },
    "induction_motor_vfd": {
        "q": PMTask(
            "PM",
            "PM 3M clean fins/VX-4 filter",
            "Cleaned fins, cowl and VX-4 filter mat, vib {vib} mm/s",
            [],
            (1.0, 1.5),
            1,
        ),
        "g": PMTask(
            "PM",
            "PM 4000H REGREASE + clean",
            "Regreased DE 20 g VG-2P, cleaned fins + filter mat",
            ["VG-2P-400"],
            (1.0, 1.5),
            1,
        ),
        "t": PMTask(
            "INSP",
            "ANNUAL THERMOGRAPHY mtr + VFD",
            "IR scan motor, VX-4 and terminals, max rise {dtk} K, ok",
            [],
            (0.0, 0.0),
            1,
        ),
        "y": PMTask(
            "PM",
            "PM 12M IR TEST + ALIGN CHK",
            "IR test {ir} MOhm PI 2.4, alignment 0.04 mm ok, foot bolts ok",
            [],
            (2.0, 3.0),
            2,
        ),
    },
    "cnc_spindle": {
        "q": PMTask(
            "PM",
            "PM 3M DRAWBAR FORCE CHK",
            "Drawbar force {kn} kN with AT-DFG40, taper cleaned",
            [],
            (0.5, 1.0),
            1,
        ),
        "h": PMTask(
            "PM",
            "PM 6M oil-air filters + runout",
            "Replaced oil-air filters AT-OAF-2, runout 0.002 mm, force {kn} kN",
            ["AT-OAF-2"],
            (1.5, 2.5),
            1,
        ),
        "y": PMTask(
            "PM",
            "PM 12M chiller coolant chg",
            "Drained + refilled chiller coolant AT-CL25, force {kn} kN",
            ["AT-CL25"],
            (2.0, 3.0),
            1,
        ),
    },
    "hydraulic_power_unit": {
        "1000": PMTask(
            "PM",
            "PM 1000H oil sample + cooler",
            "Oil sample ISO 16/14/11, cleaned cooler fins, accu ok",
            [],
            (0.5, 1.0),
            1,
        ),
        "2000": PMTask(
            "PM",
            "PM 2000H C/O RETURN FILTER",
            "PM 2000H: C/O return filter BFT-RF160-10, oil sample taken, dp {fdp} bar after",
            ["BFT-RF160-10"],
            (1.0, 1.5),
            1,
        ),
        "acc": PMTask(
            "PM",
            "PM 6M accu precharge + breather",
            "Accu precharge {pre} bar at 20 C, replaced breather BFT-BR-3D",
            ["BFT-BR-3D"],
            (0.5, 1.0),
            1,
        ),
        "4000": PMTask(
            "PM",
            "PM 4000H SVC HPU",
            "PM 4000H: return filter BFT-RF160-10, RV1 chkd 190 bar, case drain {cd} L/min, spider ok",
            ["BFT-RF160-10"],
            (2.5, 4.0),
            2,
        ),
    },
    "belt_conveyor": {
        "q": PMTask(
            "INSP",
            "QTRLY pull-cord + sway sw test",
            "All pull-cords and sway sw tested ok, belt tracking ok",
            [],
            (0.5, 1.0),
            1,
        ),
        "p": PMTask(
            "PM",
            "PM 2000H lagging/brgs/tension",
            "Lagging ok, brgs greased 20 g, take-up travel {tu} mm left",
            [],
            (2.0, 3.0),
            2,
        ),
    },
    "chiller": {
        "q": PMTask(
            "PM",
            "PM 3M leak chk + strainer",
            "Electronic leak chk ok, cleaned CHW strainer, delta-T {dt} K",
            [],
            (1.0, 2.0),
            1,
        ),
        "h": PMTask(
            "PM",
            "PM 6M oil sample + leak chk",
            "Oil sample sent (moisture/TAN/iron), leak chk ok, strainer cleaned",
            [],
            (1.0, 2.0),
            1,
        ),
        "y": PMTask(
            "PM",
            "PM 12M cond tube brush",
            "Brushed cond tubes PCE-TB-19, new gaskets PCE-GK-WB400, HP sw tested",
            ["PCE-TB-19", "PCE-GK-WB400"],
            (6.0, 9.0),
            2,
        ),
    },
    "steam_boiler": {
        "q": PMTask(
            "PM",
            "PM 3M combustion chk",
            "Combustion chk O2 {o2} pct CO 12 ppm, stack {stack} C",
            [],
            (1.0, 2.0),
            1,
        ),
        "h": PMTask(
            "INSP",
            "6M FW valve stroke chk",
            "FW control valve stroked 0-100 pct, no sticking",
            [],
            (0.0, 0.0),
            1,
        ),
        "y": PMTask(
            "PM",
            "ANNUAL SHUTDOWN - tubes, waterside, gaskets",
            "Brushed fire tubes, waterside insp ok, new manhole/handhole gaskets HB-MG-320/HB-HG-100",
            ["HB-TB-63", "HB-MG-320", "HB-HG-100"],
            (30.0, 48.0),
            3,
        ),
    },
}

PM_VALS: dict[str, tuple[float, float, int]] = {
    "vib": (0.9, 2.4, 1),
    "btemp": (48.0, 66.0, 0),
    "align": (0.02, 0.05, 2),
    "ir": (800.0, 2500.0, 0),
    "kn": (9.6, 10.4, 1),
    "fdp": (0.50, 0.70, 2),
    "cd": (1.6, 3.4, 1),
    "tu": (180.0, 420.0, 0),
    "dt": (4.6, 5.8, 1),
    "o2": (2.8, 3.6, 1),
    "stack": (150.0, 166.0, 0),
    "pre": (106.0, 111.0, 0),
    "dtk": (3.0, 11.0, 0),
}

# chronic (recurring) failures, sporadic rates per year and one-off events per asset
CHRONIC: dict[str, list[tuple[str, int, int]]] = {
    "P-101": [("seal_leak", 150, 215)],
    "P-102": [("cavitation", 105, 165)],
    "P-103": [("bearing_wear", 230, 320), ("misalignment", 330, 460)],
    "C-202": [("clogged_filter", 55, 95)],
    "M-301": [("overheating", 170, 240)],
    "M-302": [("bearing_wear", 180, 250)],
    "S-401": [("drawbar_fault", 95, 150)],
    "S-402": [("imbalance", 170, 260)],
    "H-501": [("clogged_filter", 110, 160), ("seal_leak", 180, 260)],
    "CV-601": [("belt_slip", 90, 140), ("misalignment", 200, 290)],
    "CV-602": [("overheating", 160, 240)],
    "B-801": [("stuck_valve", 170, 250)],
}
SEASONAL: dict[str, tuple[str, list[int]]] = {
    "C-201": ("overheating", [6, 7, 8]),
    "CH-701": ("condenser_fouling", [6, 7, 8, 9]),
}
SPORADIC: dict[str, dict[str, float]] = {
    "P-101": {"cavitation": 0.3, "bearing_wear": 0.3, "misalignment": 0.2},
    "P-102": {"bearing_wear": 0.3, "seal_leak": 0.4, "stuck_valve": 0.3},
    "P-103": {"impeller_wear": 0.3, "seal_leak": 0.3, "stuck_valve": 0.3},
    "C-201": {"stuck_valve": 0.5, "clogged_filter": 0.4, "bearing_wear": 0.15, "separator_failure": 0.2},
    "C-202": {"overheating": 0.3, "stuck_valve": 0.2},
    "M-301": {"misalignment": 0.3, "bearing_wear": 0.2},
    "M-302": {"misalignment": 0.3, "overheating": 0.3},
    "S-401": {"overheating": 0.5, "imbalance": 0.4},
    "S-402": {"bearing_wear": 0.3, "drawbar_fault": 0.8, "overheating": 0.4},
    "H-501": {"overheating": 0.4, "stuck_valve": 0.25, "pump_wear": 0.15},
    "CV-601": {"bearing_wear": 0.2, "overheating": 0.2},
    "CV-602": {"bearing_wear": 0.4, "belt_slip": 0.6, "misalignment": 0.6},
    "CH-701": {"refrigerant_leak": 0.4, "clogged_filter": 0.7, "overheating": 0.3},
    "B-801": {"tube_fouling": 0.6, "bearing_wear": 0.35, "seal_leak": 0.4},
}
ONE_OFF: dict[str, list[tuple[str, datetime]]] = {
    "M-301": [("insulation_breakdown", datetime(2023, 11, 14, 3, 12))],
    "B-801": [("low_water", datetime(2023, 2, 7, 5, 41))],
    "CH-701": [("bearing_wear", datetime(2024, 10, 2, 10, 5))],
    "C-201": [("separator_failure", datetime(2022, 10, 18, 13, 20))],
    "C-202": [("separator_failure", datetime(2024, 3, 5, 14, 10))],
}
# running hours per calendar day (for hour-based PM intervals and hour meters in PM texts)
HOURS_PER_DAY: dict[str, float] = {
    "C-201": 21.5,
    "C-202": 14.0,
    "H-501": 19.0,
    "CV-601": 15.0,
    "CV-602": 13.0,
    "M-301": 23.0,
    "M-302": 23.0,
}
HOUR_BASE: dict[str, float] = {"C-201": 18420.0, "C-202": 9310.0, "H-501": 24105.0}


# --------------------------------------------------------------------------------------------------
# Sensor signal helpers
# --------------------------------------------------------------------------------------------------


def lag(u: np.ndarray, tau_min: float, y0: float | None = None) -> np.ndarray:
    """First-order lag (time constant tau_min minutes) of a 5-minute sampled input."""
    a = 1.0 - math.exp(-STEP_MIN / tau_min)
    y = np.empty_like(u, dtype=float)
    prev = float(u[0]) if y0 is None else y0
    for i, v in enumerate(u):
        prev = prev + a * (float(v) - prev)
        y[i] = prev
    return y


def ar1(n: int, rng: np.random.Generator, phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) noise with marginal standard deviation sd."""
    e = rng.normal(0.0, sd * math.sqrt(1 - phi * phi), n)
    x = np.empty(n)
    prev = rng.normal(0.0, sd)
    for i in range(n):
        prev = phi * prev + e[i]
        x[i] = prev
    return x


def hours_of(ts: pd.DatetimeIndex) -> np.ndarray:
    """Fractional hour of day for each timestamp."""
    return (ts.hour + ts.minute / 60.0).to_numpy(dtype=float)


def ambient(ts: pd.DatetimeIndex, rng: np.random.Generator, mean: float, day_amp: float) -> np.ndarray:
    """Room / outdoor temperature: daily sine (peak mid-afternoon) plus slow weather drift."""
    h = hours_of(ts)
    return mean + day_amp * np.sin(2 * np.pi * (h - 9.0) / 24.0) + ar1(len(ts), rng, 0.997, 1.6)


def shift_shape(ts: pd.DatetimeIndex, night: float, day: float, evening: float, weekend: float) -> np.ndarray:
    """Smoothed plant load shape: three shifts, lower at weekends."""
    h = hours_of(ts)
    base = np.where((h >= 6) & (h < 14), day, np.where((h >= 14) & (h < 22), evening, night))
    wk = ts.day_of_week.to_numpy() >= 5
    base = np.where(wk, base * weekend, base)
    return lag(base, 45.0)


def load_steps(n: int, rng: np.random.Generator, mean_rows: float, sd: float) -> np.ndarray:
    """Piecewise-constant random set-point changes (operator / process steps)."""
    out = np.zeros(n)
    i = 0
    level = 0.0
    while i < n:
        length = max(6, int(rng.exponential(mean_rows)))
        level = 0.5 * level + rng.normal(0.0, sd)
        out[i : i + length] = level
        i += length
    return out


def ramp01(n: int, i0: int, i1: int, power: float = 1.0) -> np.ndarray:
    """0 before i0, rising to 1 at i1 (shape power), then held at 1."""
    x = np.zeros(n)
    idx = np.arange(n)
    seg = (idx >= i0) & (idx <= i1)
    x[seg] = ((idx[seg] - i0) / max(1, i1 - i0)) ** power
    x[idx > i1] = 1.0
    return x


def expgrow(n: int, i0: int, i1: int, tau_rows: float) -> np.ndarray:
    """Exponential growth normalised to 1 at i1: (exp((i-i0)/tau)-1)/(exp((i1-i0)/tau)-1)."""
    idx = np.arange(n)
    x = np.zeros(n)
    seg = idx >= i0
    x[seg] = (np.exp((np.minimum(idx[seg], i1) - i0) / tau_rows) - 1.0) / (
        math.exp((i1 - i0) / tau_rows) - 1.0
    )
    return x


@dataclass
class Fault:
    """A fault injected in a sensor file, with what the control system and the CMMS saw of it."""

    mode: str
    channels: list[str]
    start: int
    end: int
    repair: tuple[int, int] | None = None  # rows of the maintenance stop [a, b)
    checks: list[tuple[str, str]] = field(default_factory=list)  # (code, channel) alarm checks on the data
    switch_alarms: list[tuple[str, int]] = field(default_factory=list)  # value-free alarms at a row
    trip_row: int | None = None


@dataclass
class SensorResult:
    """One generated sensor file with its faults and planned spikes / gaps."""

    asset: str
    df: pd.DataFrame
    faults: list[Fault]
    running: np.ndarray
    gap: tuple[int, int] | None = None
    operator_stops: list[tuple[int, int]] = field(default_factory=list)  # journaled manual stops [a, b)


def stop_mask(n: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """Boolean mask that is False inside the given [a, b) row spans."""
    m = np.ones(n, dtype=bool)
    for a, b in spans:
        m[a:b] = False
    return m


def gen_pump(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Norvane CP-80 fixed-speed pump: flow set by downstream demand, head from the pump curve."""
    n = len(ts)
    amb = ambient(ts, rng, 21.0, 2.5)
    shape = shift_shape(ts, 0.35, 0.85, 0.7, 0.6)
    load = np.clip(shape + load_steps(n, rng, 48, 0.12) + ar1(n, rng, 0.9, 0.04), 0.0, 1.0)
    q_d = 100.0 + 35.0 * load
    run = np.ones(n, dtype=bool)
    faults: list[Fault] = []
    op_stops: list[tuple[int, int]] = []
    h = hours_of(ts)
    if asset == "P-102":  # booster: idle on some nights when the tank is full
        for d in range(SENSOR_DAYS):
            if rng.random() < 0.55:
                a = d * 288 + int((23.0 + rng.normal(0, 0.4)) * 12)
                b = (d + 1) * 288 + int((5.0 + rng.normal(0, 0.4)) * 12)
                run[max(0, a) : min(n, b)] = False
    if asset == "P-101":  # short operator stop for a valve line-up
        a = int(0.22 * n) + int(rng.integers(0, 30))
        run[a : a + 9] = False
        op_stops = [(a, a + 9)]
    leak = np.zeros(n)
    clog = np.zeros(n)
    stuck = np.zeros(n, dtype=bool)
    if asset == "P-101":
        i0 = 7 * 288 + 23 * 12 + int(rng.integers(0, 8))  # Monday night of week 2
        i1 = 9 * 288 + 8 * 12 + 6  # seal changed Wednesday morning
        rep = (i1 + 1, i1 + 1 + 66)  # 5.5 h seal change
        leak = 6.0 * ramp01(n, i0, i1, 1.6) * (1 + 0.1 * ar1(n, rng, 0.95, 1.0))
        leak[rep[0] :] = 0.0
        run[rep[0] : rep[1]] = False
        sw = int(np.argmax(leak > 3.0))
        faults.append(
            Fault("seal_leak", ["discharge_pressure_bar", "flow_m3h"], i0, i1, rep, [], [("E105", sw)])
        )
    if asset == "P-102":
        # clogging suction strainer during the day shift of day 9
        i0 = 9 * 288 + 6 * 12 + int(rng.integers(0, 6))
        i1 = i0 + 13 * 12
        run[i0 - 24 : i1 + 40] = True  # pump in service through the episode
        clog = 4.3 * expgrow(n, i0, i1, 110.0)
        rep = (i1 + 1, i1 + 1 + 24)  # 2 h strainer cleaning
        clog[rep[0] :] = 0.0
        run[rep[0] : rep[1]] = False
        faults.append(
            Fault(
                "cavitation",
                ["suction_pressure_bar", "vibration_mm_s", "flow_m3h"],
                i0,
                i1,
                rep,
                [("E104", "suction_pressure_bar"), ("E101", "vibration_mm_s")],
            )
        )
    if asset == "P-103":
        i0 = int(0.54 * n) + int(rng.integers(0, 24))
        i1 = i0 + 19 * 12
        stuck[i0 : i1 + 1] = True
        rep = (i1 + 1, i1 + 1 + 36)  # 3 h valve repair
        run[rep[0] : rep[1]] = False
        faults.append(
            Fault("stuck_valve", ["flow_m3h", "discharge_pressure_bar", "motor_current_a"], i0, i1, rep)
        )
    q = np.where(stuck, 57.0 + rng.normal(0, 1.2, n), q_d)
    p_tank = 1.38 + 0.05 * np.sin(2 * np.pi * (h - 3) / 24) + ar1(n, rng, 0.99, 0.02)
    ks = 0.16 / 120.0**2 * (1.0 + clog)
    ps = p_tank - ks * q**2
    head = 6.1 - 1.0 * (q / 120.0) ** 2
    # cavitation: head and flow collapse erratically when suction pressure is too low
    sev = np.clip((0.80 - ps) / 0.45, 0.0, 1.0)
    erratic = np.abs(rng.normal(0.0, 1.0, n))
    q_eff = q * (1.0 - sev * (0.06 + 0.14 * erratic))
    head = head - sev * (0.25 + 0.35 * erratic)
    ps = ps - sev * 0.06 * erratic
    pd_ = ps + head - 0.03 * leak
    flow = q_eff - 0.8 * leak
    eta = 0.74 - 0.9 * ((q_eff - 120.0) / 120.0) ** 2
    p_shaft = q_eff * head / 36.0 / eta
    cur = 12.0 + 1.27 * p_shaft
    vib = 1.25 + 0.45 * ((q_eff - 118.0) / 40.0) ** 2 + sev * (1.8 + 3.2 * erratic)
    bt_target = np.where(run, amb + 30.0 + 6.0 * (p_shaft / 23.0), amb + 4.0)
    btemp = lag(bt_target, 70.0, float(bt_target[0]))
    df = pd.DataFrame({"timestamp": ts})
    df["vibration_mm_s"] = np.where(run, vib + rng.normal(0, 0.09, n), 0.05 + np.abs(rng.normal(0, 0.02, n)))
    df["bearing_temp_c"] = btemp + rng.normal(0, 0.25, n)
    df["motor_current_a"] = np.where(run, cur + rng.normal(0, 0.35, n), 0.0)
    df["suction_pressure_bar"] = np.where(run, ps, p_tank) + rng.normal(0, 0.012, n)
    df["discharge_pressure_bar"] = np.where(run, pd_, p_tank + 0.04) + rng.normal(0, 0.02, n)
    df["flow_m3h"] = np.where(run, flow + rng.normal(0, 0.9, n), np.abs(rng.normal(0, 0.15, n)))
    return SensorResult(asset, df, faults, run, operator_stops=op_stops)


def gen_compressor(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Kestrel RS-37 load/unload compressor; 5-minute means of the load duty."""
    n = len(ts)
    amb = ambient(ts, rng, 24.0, 3.5)
    if asset == "C-201":
        demand = shift_shape(ts, 0.45, 0.85, 0.75, 0.6)
    else:
        demand = shift_shape(ts, 0.15, 0.7, 0.55, 0.2)
    duty = np.clip(demand + load_steps(n, rng, 36, 0.08) + ar1(n, rng, 0.7, 0.06), 0.05, 1.0)
    run = np.ones(n, dtype=bool)
    if asset == "C-202":  # lag machine: auto-stops when demand is low (nights, weekends)
        run = lag(demand, 20.0) > 0.28
    foul = np.zeros(n)
    cooler = np.zeros(n)
    faults: list[Fault] = []
    if asset == "C-201":
        i0 = 8 * 288 + 10 * 12 + int(rng.integers(0, 12))  # Tuesday of week 2
        i1 = 10 * 288 + 13 * 12  # cooler cleaned Thursday afternoon
        cooler = expgrow(n, i0, i1, 220.0)
        rep = (i1 + 1, i1 + 1 + 42)  # 3.5 h cooler cleaning
        cooler[rep[0] :] = 0.0
        run[rep[0] : rep[1]] = False
        faults.append(
            Fault("overheating", ["airend_temp_c", "oil_temp_c"], i0, i1, rep, [("E201", "airend_temp_c")])
        )
    if asset == "C-202":
        i0 = 7 * 288 + 16 * 12 + int(rng.integers(0, 12))  # Monday afternoon of week 2
        i1 = 10 * 288 + 10 * 12 + 6  # filter changed Thursday morning
        foul = 1.15 * expgrow(n, i0, i1, 300.0)
        rep = (i1 + 1, i1 + 1 + 14)  # filter change ~70 min
        foul[rep[0] :] = -0.05
        run[rep[0] : rep[1]] = False
        run[i0 : i1 + 1] |= demand[i0 : i1 + 1] > 0.2
        faults.append(
            Fault(
                "clogged_filter",
                ["oil_filter_dp_bar", "airend_temp_c"],
                i0,
                i1,
                rep,
                [("E202", "oil_filter_dp_bar")],
            )
        )
    d = np.where(run, duty, 0.0)
    at_target = np.where(
        run, amb + 56.0 + 12.0 * d + cooler * (7.5 + 4.5 * d) + 6.0 * np.clip(foul, 0, None), amb + 6
    )
    airend = lag(at_target, 18.0, float(at_target[0]))
    ot_target = np.where(run, amb + 38.0 + 7.0 * d + cooler * (6.0 + 3.5 * d), amb + 4)
    oil = lag(ot_target, 25.0, float(ot_target[0]))
    dp = np.where(run, (0.24 + 0.2 * d) * np.exp(-0.02 * (oil - 65.0)) + foul * (0.7 + 0.5 * d), 0.0)
    df = pd.DataFrame({"timestamp": ts})
    press = 7.05 + 0.38 * (1.0 - d) + ar1(n, rng, 0.6, 0.05)
    df["discharge_pressure_bar"] = np.where(run, press, 6.95 + ar1(n, rng, 0.9, 0.06))
    df["airend_temp_c"] = airend + rng.normal(0, 0.3, n)
    df["oil_temp_c"] = oil + rng.normal(0, 0.25, n)
    df["oil_filter_dp_bar"] = np.clip(dp + np.where(run, rng.normal(0, 0.012, n), 0.0), 0.0, None)
    df["motor_current_a"] = np.where(run, 24.0 + 38.5 * d + rng.normal(0, 0.6, n), 0.0)
    df["vibration_mm_s"] = np.where(
        run, 1.6 + 1.2 * d + rng.normal(0, 0.1, n), 0.04 + np.abs(rng.normal(0, 0.02, n))
    )
    return SensorResult(asset, df, faults, run)


def gen_motor(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Valtor IM-200 on a VX-4 drive turning a process fan (load ~ speed squared)."""
    n = len(ts)
    amb = ambient(ts, rng, 23.0, 3.0)
    shape = shift_shape(ts, 0.4, 0.9, 0.75, 0.55)
    sp = np.clip(shape + load_steps(n, rng, 40, 0.1) + ar1(n, rng, 0.85, 0.03), 0.0, 1.0)
    speed = 1000.0 + 470.0 * sp
    run = np.ones(n, dtype=bool)
    faults: list[Fault] = []
    op_stops: list[tuple[int, int]] = []
    if asset == "M-301":  # planned 6 h stop on the first Sunday
        a = 6 * 288 + 7 * 12
        run[a : a + 72] = False
        op_stops = [(a, a + 72)]
    vib_add = np.zeros(n)
    bt_add = np.zeros(n)
    if asset == "M-302":
        i0 = int(0.62 * n) + int(rng.integers(0, 12))
        i1 = n - 1
        g = expgrow(n, i0, i1, 520.0)
        vib_add = 4.3 * g
        bt_add = 13.0 * g
        faults.append(
            Fault(
                "bearing_wear",
                ["vibration_mm_s", "bearing_temp_c"],
                i0,
                i1,
                None,
                [("E305", "vibration_mm_s")],
            )
        )
    speed = np.where(run, speed, 0.0)
    frac = speed / 1475.0
    cur = np.where(run, 14.0 + 38.0 * frac**2, 0.0)
    wt_target = amb + 6.0 + 75.0 * (cur / 54.5) ** 2
    wt = lag(wt_target, 40.0, float(wt_target[0]))
    bt_target = np.where(run, amb + 27.0 + 14.0 * frac, amb + 2.0) + bt_add
    bt = lag(bt_target, 70.0, float(bt_target[0]))
    vib = (
        0.85
        + 0.95 * frac**2
        + 0.55 * np.exp(-(((speed - 1185.0) / 45.0) ** 2))
        + vib_add * (0.6 + 0.4 * frac)
    )
    df = pd.DataFrame({"timestamp": ts})
    df["motor_current_a"] = np.where(run, cur + rng.normal(0, 0.3, n), 0.0)
    df["winding_temp_c"] = wt + rng.normal(0, 0.3, n)
    df["bearing_temp_c"] = bt + rng.normal(0, 0.25, n)
    df["vibration_mm_s"] = np.where(
        run, vib + rng.normal(0, 0.07, n) * (1 + vib_add / 3), 0.03 + np.abs(rng.normal(0, 0.015, n))
    )
    df["speed_rpm"] = np.where(run, speed + rng.normal(0, 1.5, n), 0.0)
    res = SensorResult(asset, df, faults, run, operator_stops=op_stops)
    if asset == "M-301":
        a = int(0.31 * n)
        res.gap = (a, a + 30)  # 2.5 h logger outage
    return res


def gen_spindle(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Arcturus VMC-850 spindle on a two-shift machining schedule with jobs of different speeds."""
    n = len(ts)
    h = hours_of(ts)
    dow = ts.day_of_week.to_numpy()
    powered = ((dow < 5) & (h >= 6) & (h < 22)) | ((dow == 5) & (h >= 6) & (h < 12))
    brk = ((h >= 10) & (h < 10.25)) | ((h >= 13.75) & (h < 14.25)) | ((h >= 18) & (h < 18.5))
    speed = np.zeros(n)
    load = np.zeros(n)
    voff = np.zeros(n)
    i = 0
    while i < n:
        length = int(rng.integers(3, 19))
        s = float(pick(rng, [4000.0, 6000.0, 8000.0, 8000.0, 10000.0, 12000.0]))
        lm = float(rng.uniform(18.0, 62.0))
        speed[i : i + length] = s
        load[i : i + length] = lm
        voff[i : i + length] = rng.normal(0.0, 0.06)
        i += length
    cutting = powered & ~brk & (rng.random(n) > 0.14)
    speed = np.where(cutting, speed, 0.0)
    load = np.where(cutting, np.clip(load + rng.normal(0, 6.0, n), 2.0, 95.0), 0.0)
    amb = ambient(ts, rng, 21.5, 2.0)
    faults: list[Fault] = []
    chill_fault = np.zeros(n)
    stop_rows = np.zeros(n, dtype=bool)
    if asset == "S-401":
        # chiller condenser fan failure on a weekday morning of the second week
        day = 8  # Tuesday of week 2
        i0 = day * 288 + 7 * 12 + int(rng.integers(0, 12))
        i1 = i0 + 62
        chill_fault = ramp01(n, i0, i1, 0.8)
        rep = (i1 + 1, i1 + 1 + 30)  # 2.5 h chiller repair
        chill_fault[rep[0] :] = 0.0
        stop_rows[rep[0] : rep[1]] = True
        faults.append(
            Fault(
                "overheating", ["spindle_temp_c", "coolant_temp_c"], i0, i1, rep, [("E401", "spindle_temp_c")]
            )
        )
    speed = np.where(stop_rows, 0.0, speed)
    load = np.where(stop_rows, 0.0, load)
    run = speed > 0
    cyc = 0.45 * np.sign(np.sin(2 * np.pi * np.arange(n) * STEP_MIN / 37.0))
    cool_target = np.where(powered, 22.0 + cyc, amb) + 9.5 * chill_fault
    coolant = lag(cool_target, 12.0, 22.0)
    heat = 4.0 + 9.0 * (speed / 12000.0) ** 1.5 + 0.06 * load
    st_target = coolant + np.where(run, heat, 1.0) + 10.5 * chill_fault
    stemp = lag(st_target, 22.0, float(st_target[0]))
    vib = 0.32 + 0.55 * (speed / 12000.0) ** 2 + 0.003 * load + voff
    df = pd.DataFrame({"timestamp": ts})
    df["spindle_vibration_mm_s"] = np.where(
        run, np.clip(vib + rng.normal(0, 0.03, n), 0.1, None), 0.03 + np.abs(rng.normal(0, 0.01, n))
    )
    df["spindle_temp_c"] = stemp + rng.normal(0, 0.15, n)
    df["spindle_load_pct"] = load
    df["coolant_temp_c"] = coolant + rng.normal(0, 0.06, n)
    df["speed_rpm"] = np.where(run, speed + rng.normal(0, 2.0, n), 0.0)
    return SensorResult(asset, df, faults, run)


def gen_hpu(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Brennholt HPU-30: pressure-compensated pump feeding press cylinders, off on Sundays."""
    n = len(ts)
    amb = ambient(ts, rng, 22.0, 3.0)
    dow = ts.day_of_week.to_numpy()
    run = dow != 6
    d = np.clip(
        shift_shape(ts, 0.3, 0.85, 0.7, 1.0) + load_steps(n, rng, 30, 0.07) + ar1(n, rng, 0.5, 0.08), 0.05, 1
    )
    d = np.where(run, d, 0.0)
    faults: list[Fault] = []
    foul = np.zeros(n)
    leak_loss = np.zeros(n)
    stops: list[tuple[int, int]] = []
    # clogged return filter at ~48 %, external leak at ~78 %
    i0 = 7 * 288 + 8 * 12 + int(rng.integers(0, 12))  # Monday morning of week 2
    i1 = i0 + int(2.3 * 288)
    foul = expgrow(n, i0, i1, 220.0) * 2.6
    rep1 = (i1 + 1, i1 + 1 + 14)
    foul[rep1[0] :] = 0.0
    stops.append(rep1)
    faults.append(
        Fault("clogged_filter", ["return_filter_dp_bar"], i0, i1, rep1, [("E502", "return_filter_dp_bar")])
    )
    j0 = int(0.79 * n) + int(rng.integers(0, 12))
    j1 = j0 + 38 * 12
    leak_loss = 15.0 * ramp01(n, j0, j1, 1.1)
    rep2 = (j1 + 1, j1 + 1 + 30)
    leak_loss[rep2[0] :] = 0.0
    stops.append(rep2)
    faults.append(Fault("seal_leak", ["tank_level_pct"], j0, j1, rep2, [("E503", "tank_level_pct")]))
    for a, b in stops:
        run[a:b] = False
        d[a:b] = 0.0
    ot_target = np.where(run, amb + 20.0 + 13.0 * d, amb + 3.0)
    oil = lag(ot_target, 60.0, float(ot_target[0]))
    dp = np.where(run, (0.32 + 0.5 * d) * np.exp(-0.02 * (oil - 45.0)) + foul * (0.55 + 0.6 * d), 0.0)
    dp = np.minimum(dp, 3.5)  # bypass valve
    df = pd.DataFrame({"timestamp": ts})
    df["system_pressure_bar"] = np.where(
        run, 161.0 - 5.0 * d + ar1(n, rng, 0.4, 0.8), np.abs(rng.normal(0.0, 0.3, n))
    )
    df["oil_temp_c"] = oil + rng.normal(0, 0.2, n)
    df["return_filter_dp_bar"] = np.clip(dp + np.where(run, rng.normal(0, 0.015, n), 0.0), 0.0, None)
    df["motor_current_a"] = np.where(run, 31.0 + 12.0 * d + rng.normal(0, 0.4, n), 0.0)
    df["tank_level_pct"] = 81.0 - 3.0 * d + 0.05 * (oil - 45.0) - leak_loss + rng.normal(0, 0.12, n)
    return SensorResult(asset, df, faults, run)


def gen_conveyor(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Torvik BC-1200 conveyor: two shifts Mon-Fri plus Saturday morning, fluctuating material load."""
    n = len(ts)
    h = hours_of(ts)
    dow = ts.day_of_week.to_numpy()
    run = ((dow < 5) & (h >= 6) & (h < 22)) | ((dow == 5) & (h >= 6) & (h < 14))
    m = np.clip(0.7 + ar1(n, rng, 0.8, 0.12) + 0.6 * load_steps(n, rng, 20, 0.15), 0.15, 1.0)
    amb = ambient(ts, rng, 14.0, 4.0)  # outdoor drive house
    faults: list[Fault] = []
    vib_add = np.zeros(n)
    cur_mult = np.ones(n)
    slip = np.zeros(n)
    # misalignment after a coupling job: step then slow rise
    i0 = 7 * 288 + 6 * 12 + 4  # Monday morning of week 2, start of shift
    i1 = i0 + int(2.4 * 288)
    r = ramp01(n, i0, i1, 1.0)
    step = (np.arange(n) >= i0).astype(float)
    vib_add = step * 0.9 + 2.1 * r
    cur_mult = 1.0 + 0.03 * step + 0.04 * r
    rep1 = (i1 + 1, i1 + 1 + 48)
    vib_add[rep1[0] :] = 0.0
    cur_mult[rep1[0] :] = 1.0
    faults.append(
        Fault(
            "misalignment",
            ["gearbox_vibration_mm_s", "motor_current_a"],
            i0,
            i1,
            rep1,
            [("E604", "gearbox_vibration_mm_s")],
            [("E602", i0 + 40)],
        )
    )
    # wet-weather belt slip on Thursday of week 2
    j0 = 10 * 288 + 7 * 12 + int(rng.integers(0, 6))
    j1 = j0 + 9 * 12
    wet = np.zeros(n)
    wet[j0 : j1 + 1] = 1.0
    rep2 = (j1 + 1, j1 + 1 + 24)
    slip_ev = (rng.random(n) < 0.55) & (m > 0.55)
    slip = wet * slip_ev * rng.uniform(0.03, 0.16, n)
    faults.append(
        Fault("belt_slip", ["belt_speed_m_s", "motor_current_a"], j0, j1, rep2, [("E601", "belt_speed_m_s")])
    )
    for a, b in (rep1, rep2):
        run[a:b] = False
    run[j0 : j1 + 1] = True
    mm = np.where(run, m, 0.0)
    cur = (26.0 + 30.0 * mm) * cur_mult
    cur = cur * (1.0 + wet * rng.normal(0.0, 0.09, n) * run)
    gt_target = np.where(run, amb + 40.0 + 16.0 * mm, amb + 2.0)
    gtemp = lag(gt_target, 90.0, float(gt_target[0]))
    df = pd.DataFrame({"timestamp": ts})
    df["gearbox_vibration_mm_s"] = np.where(
        run, 1.55 + 0.7 * mm + vib_add + rng.normal(0, 0.09, n), 0.04 + np.abs(rng.normal(0, 0.02, n))
    )
    df["gearbox_oil_temp_c"] = gtemp + rng.normal(0, 0.3, n)
    df["motor_current_a"] = np.where(run, cur + rng.normal(0, 0.5, n), 0.0)
    df["belt_speed_m_s"] = np.where(
        run, 2.0 * (1.0 - 0.006 * mm) * (1.0 - slip) + rng.normal(0, 0.004, n), 0.0
    )
    return SensorResult(asset, df, faults, run)


def gen_chiller(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Polaris WCH-400 water-cooled chiller on process cooling duty (fault-free file with a data gap)."""
    n = len(ts)
    amb = ambient(ts, rng, 19.0, 5.0)
    load = np.clip(
        0.35
        + 0.5 * shift_shape(ts, 0.5, 1.0, 0.85, 0.7)
        + 0.012 * (amb - 19.0)
        + load_steps(n, rng, 40, 0.05)
        + ar1(n, rng, 0.8, 0.02),
        0.25,
        1.0,
    )
    twb = lag(amb - 3.0, 60.0)
    sup = 7.0 + 0.9 * np.diff(load, prepend=load[0]) + ar1(n, rng, 0.7, 0.07)
    ret = lag(sup + 3.6 + 2.6 * load, 12.0)
    cond = 7.0 + 1.5 * load + 0.06 * (twb - 15.0)
    evap = 2.5 - 0.25 * load + 0.05 * (sup - 7.0)
    cur = 50.0 + 88.0 * load**1.15
    oil = lag(47.0 + 11.0 * load + 0.15 * (amb - 19.0), 30.0)
    df = pd.DataFrame({"timestamp": ts})
    df["chw_supply_temp_c"] = sup
    df["chw_return_temp_c"] = ret + rng.normal(0, 0.05, n)
    df["condenser_pressure_bar"] = cond + rng.normal(0, 0.04, n)
    df["evaporator_pressure_bar"] = evap + rng.normal(0, 0.012, n)
    df["compressor_current_a"] = cur + rng.normal(0, 0.8, n)
    df["oil_temp_c"] = oil + rng.normal(0, 0.2, n)
    res = SensorResult(asset, df, [], np.ones(n, dtype=bool))
    a = int(0.71 * n)
    res.gap = (a, a + 14)  # 70 min network outage
    return res


def gen_boiler(asset: str, ts: pd.DatetimeIndex, rng: np.random.Generator) -> SensorResult:
    """Halden FT-2000 boiler: modulating burner and modulating feedwater level control."""
    n = len(ts)
    amb = ambient(ts, rng, 16.0, 4.0)
    dem = np.clip(
        shift_shape(ts, 0.35, 0.9, 0.75, 0.55) + load_steps(n, rng, 30, 0.07) + ar1(n, rng, 0.8, 0.04),
        0.25,
        1.0,
    )
    fire = lag(dem, 10.0)
    steam_flow = 2.0 * dem
    feed = lag(steam_flow, 8.0) + ar1(n, rng, 0.6, 0.05)
    level = 50.0 + ar1(n, rng, 0.9, 1.1)
    faults: list[Fault] = []
    # feedwater control valve sticks while closing during the morning ramp of day 8
    i0 = 8 * 288 + 5 * 12 + 6 + int(rng.integers(0, 6))
    stuck_flow = float(feed[i0]) * 0.8
    lvl = float(level[i0])
    i = i0
    alarm_row = None
    while True:
        feed[i] = stuck_flow + rng.normal(0, 0.01)
        lvl += (feed[i] - steam_flow[i]) * 1.2
        level[i] = lvl + rng.normal(0, 0.3)
        if alarm_row is None and level[i] < 35.0:
            alarm_row = i
        if alarm_row is not None and i >= alarm_row + 3:
            break
        i += 1
    # operator opens the bypass: refill then normal control again
    while lvl < 49.0:
        i += 1
        feed[i] = steam_flow[i] + 0.9 + rng.normal(0, 0.03)
        lvl += (feed[i] - steam_flow[i]) * 1.2
        level[i] = lvl + rng.normal(0, 0.3)
    i1 = i
    faults.append(
        Fault(
            "stuck_valve",
            ["feedwater_flow_m3h", "drum_level_pct"],
            i0,
            i1,
            None,
            [("E801", "drum_level_pct")],
        )
    )
    press = 9.0 - 0.9 * (dem - fire) + ar1(n, rng, 0.7, 0.06)
    stack = lag(120.0 + 40.0 * fire + 0.15 * (amb - 15.0), 15.0)
    df = pd.DataFrame({"timestamp": ts})
    df["steam_pressure_bar"] = press
    df["stack_temp_c"] = stack + rng.normal(0, 0.5, n)
    df["feedwater_flow_m3h"] = np.clip(feed, 0.0, None)
    df["drum_level_pct"] = level
    df["fan_vibration_mm_s"] = 1.35 + 1.0 * fire + rng.normal(0, 0.07, n)
    return SensorResult(asset, df, faults, np.ones(n, dtype=bool))


GENERATORS: dict[str, Callable[[str, pd.DatetimeIndex, np.random.Generator], SensorResult]] = {
    "centrifugal_pump": gen_pump,
    "screw_compressor": gen_compressor,
    "induction_motor_vfd": gen_motor,
    "cnc_spindle": gen_spindle,
    "hydraulic_power_unit": gen_hpu,
    "belt_conveyor": gen_conveyor,
    "chiller": gen_chiller,
    "steam_boiler": gen_boiler,
}

# single-sample sensor glitches: asset -> [(fraction of file, channel, multiplier or absolute)]
SPIKES: dict[str, list[tuple[float, str, float]]] = {
    "P-101": [(0.18, "vibration_mm_s", 2.9), (0.83, "vibration_mm_s", 2.4)],
    "C-201": [(0.33, "oil_filter_dp_bar", 3.0)],
    "M-301": [(0.52, "bearing_temp_c", 0.0), (0.87, "vibration_mm_s", 2.8)],
    "B-801": [(0.27, "stack_temp_c", 1.22), (0.46, "steam_pressure_bar", 0.55)],
    "CV-601": [(0.21, "motor_current_a", 1.35)],
    "CH-701": [(0.64, "condenser_pressure_bar", 1.35)],
}


def window_start(asset: str) -> datetime:
    """First timestamp of an asset's 14-day sensor window (consecutive Mondays in 2025)."""
    return FIRST_SENSOR_DAY + timedelta(days=SENSOR_DAYS * SENSOR_ASSETS.index(asset))


def format_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Round and format every channel with a fixed number of decimals (no '-0.00')."""
    out = pd.DataFrame({"timestamp": df["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")})
    for col in df.columns[1:]:
        dec = DECIMALS[col]
        vals = np.round(df[col].to_numpy(dtype=float), dec)
        vals[np.abs(vals) < 0.5 * 10.0 ** (-dec)] = 0.0
        out[col] = [f"{v:.{dec}f}" for v in vals]
    return out


@dataclass
class AlarmLine:
    """One journal line; seq keeps a deterministic order for equal timestamps."""

    t: datetime
    seq: int
    text: str


class Journal:
    """Collects alarm / event lines."""

    def __init__(self) -> None:
        self.lines: list[AlarmLine] = []

    def add(self, t: datetime, asset: str, body: str) -> None:
        """Append a line `YYYY-MM-DD HH:MM:SS ASSET body`."""
        self.lines.append(AlarmLine(t, len(self.lines), f"{t:%Y-%m-%d %H:%M:%S} {asset} {body}"))

    def alarm(self, t: datetime, asset: str, code: str, value: float | None = None) -> None:
        """Append an ALARM line, with value and limit where the code has a measured quantity."""
        text, unit, limit, _d, dec = ALARM_DEFS[code]
        if unit is None or value is None:
            self.add(t, asset, f"{code} ALARM {text}")
        else:
            ldec = max(dec, 1)
            self.add(t, asset, f"{code} ALARM {text} value={value:.{dec}f} {unit} limit={limit:.{ldec}f}")

    def render(self) -> str:
        """All lines sorted by time."""
        return "".join(f"{x.text}\n" for x in sorted(self.lines, key=lambda x: (x.t, x.seq)))


def sensor_alarms(
    res: SensorResult, fmt: pd.DataFrame, journal: Journal, rng: np.random.Generator
) -> dict[int, datetime]:
    """Write the alarm lines implied by the injected faults of a sensor file; return first alarm per fault."""
    first: dict[int, datetime] = {}
    ts = res.df["timestamp"]
    for k, f in enumerate(res.faults):
        events: list[datetime] = []
        for code, row in f.switch_alarms:
            t = ts.iloc[row].to_pydatetime() + timedelta(seconds=int(rng.integers(5, 280)))
            journal.alarm(t, res.asset, code)
            journal.add(
                t + timedelta(seconds=int(rng.integers(60, 900))),
                res.asset,
                f"{code} ACK by {pick(rng, OPERATORS)}",
            )
            end_row = f.repair[1] if f.repair else f.end
            journal.add(
                ts.iloc[min(end_row, len(ts) - 1)].to_pydatetime()
                + timedelta(seconds=int(rng.integers(5, 200))),
                res.asset,
                f"{code} CLEAR",
            )
            events.append(t)
        t_stop = None
        if f.repair is not None:
            t_stop = ts.iloc[f.repair[0]].to_pydatetime() - timedelta(seconds=int(rng.integers(60, 240)))
        for code, ch in f.checks:
            _text, _unit, limit, direction, _dec = ALARM_DEFS[code]
            vals = fmt[ch].astype(float).to_numpy()
            hi = direction == "high"
            hyst = 0.04 * abs(limit)
            active = False
            n_over = 0
            n_back = 0
            last_row = f.end if f.repair is None else f.repair[0] - 1
            for i in range(f.start, last_row + 1):
                v = vals[i]
                over = v >= limit if hi else v <= limit
                back = v < limit - hyst if hi else v > limit + hyst
                n_over = n_over + 1 if over else 0
                n_back = n_back + 1 if back else 0
                if not active and n_over == 2:  # on-delay: two consecutive samples beyond the limit
                    t = ts.iloc[i].to_pydatetime() - timedelta(seconds=int(rng.integers(3, 250)))
                    journal.alarm(t, res.asset, code, float(v))
                    if rng.random() < 0.9:
                        journal.add(
                            t + timedelta(seconds=int(rng.integers(40, 280))),
                            res.asset,
                            f"{code} ACK by {pick(rng, OPERATORS)}",
                        )
                    events.append(t)
                    active = True
                elif active and n_back == 3:  # off-delay: three samples back inside the deadband
                    journal.add(
                        ts.iloc[i].to_pydatetime() - timedelta(seconds=int(rng.integers(3, 250))),
                        res.asset,
                        f"{code} CLEAR",
                    )
                    active = False
            if active:
                if t_stop is not None:
                    journal.add(
                        t_stop + timedelta(seconds=int(rng.integers(2, 50))), res.asset, f"{code} CLEAR"
                    )
                else:
                    f.trip_row = -1  # still active at the end of the file: cleared after the later repair
        if events:
            first[k] = min(events)
        if f.repair is not None and t_stop is not None:
            journal.add(t_stop, res.asset, "STOP cmd=LOCAL")
            journal.add(
                ts.iloc[f.repair[1]].to_pydatetime() - timedelta(seconds=int(rng.integers(10, 240))),
                res.asset,
                "START cmd=LOCAL",
            )
    return first


def make_sensors(journal: Journal) -> tuple[dict[str, pd.DataFrame], list[dict], list[dict]]:
    """Generate all sensor files; returns formatted frames, labels and anchored corrective events."""
    frames: dict[str, pd.DataFrame] = {}
    labels: list[dict] = []
    anchored: list[dict] = []
    for asset in SENSOR_ASSETS:
        atype = ASSETS[asset]
        rng = rng_for("sensor", asset)
        ts = pd.date_range(window_start(asset), periods=N_ROWS, freq=f"{STEP_MIN}min")
        res = GENERATORS[atype](asset, ts, rng)
        assert list(res.df.columns[1:]) == CHANNELS[atype], asset
        for f in res.faults:
            assert f.start >= int(0.4 * N_ROWS) + 1, (asset, f.mode)
            assert f.mode in FAILURE_MODES[atype], (asset, f.mode)
        for frac, ch, mult in SPIKES.get(asset, []):
            row = int(frac * N_ROWS)
            while not res.running[row]:  # a glitch is only visible while the machine runs
                row += 1
            for f in res.faults:
                assert not (f.start - 12 <= row <= f.end + 40), (asset, "spike inside fault")
            col = res.df[ch].to_numpy(dtype=float).copy()
            col[row] = col[row] * mult
            res.df[ch] = col
        fmt = format_frame(res.df)
        first = sensor_alarms(res, fmt, journal, rng_for("sensor-alarms", asset))
        for a, b in res.operator_stops:  # manual stops from the control room are journaled too
            r_op = rng_for("operator-stop", asset)
            journal.add(
                ts[a].to_pydatetime() - timedelta(seconds=int(r_op.integers(20, 280))),
                asset,
                "STOP cmd=REMOTE",
            )
            journal.add(
                ts[b].to_pydatetime() - timedelta(seconds=int(r_op.integers(20, 280))),
                asset,
                "START cmd=REMOTE",
            )
        keep = np.ones(N_ROWS, dtype=bool)
        if res.gap is not None:
            a, b = res.gap
            for f in res.faults:
                assert b < f.start or a > f.end
            keep[a:b] = False
        out = fmt[keep].reset_index(drop=True)
        frames[asset] = out
        for k, f in enumerate(res.faults):
            labels.append(
                {
                    "asset": asset,
                    "file": f"{asset}.csv",
                    "failure_mode": f.mode,
                    "channels": f.channels,
                    "start": fmt["timestamp"].iloc[f.start],
                    "end": fmt["timestamp"].iloc[f.end],
                }
            )
            start_t = res.df["timestamp"].iloc[f.start].to_pydatetime()
            end_t = res.df["timestamp"].iloc[f.end].to_pydatetime()
            if f.repair is not None:
                rep_a = res.df["timestamp"].iloc[f.repair[0]].to_pydatetime()
                rep_b = res.df["timestamp"].iloc[f.repair[1]].to_pydatetime()
            else:
                r = rng_for("anchor", asset, f.mode)
                rep_a = end_t + timedelta(hours=float(r.uniform(2.0, 30.0)))
                rep_b = rep_a + timedelta(hours=float(r.uniform(*CM_LIB[atype][f.mode].downtime)))
            avals: dict[str, float] = {}
            for key, (ch, stat) in ANCHOR_VALS.get((asset, f.mode), {}).items():
                seg = fmt[ch].astype(float).to_numpy()[f.start : f.end + 1]
                seg = seg[seg > 0.0]
                if stat == "max":
                    avals[key] = float(np.max(seg))
                elif stat == "min":
                    avals[key] = float(np.min(seg))
                else:
                    avals[key] = float(np.median(seg))
            anchored.append(
                {
                    "asset": asset,
                    "mode": f.mode,
                    "vals": avals,
                    "start": start_t,
                    "end": end_t,
                    "first_alarm": first.get(k),
                    "repair_start": rep_a,
                    "repair_end": rep_b,
                    "stop": f.repair is not None,
                    "open_alarms": [c for c, _ in f.checks] if f.trip_row == -1 else [],
                    "window": (ts[0].to_pydatetime(), ts[-1].to_pydatetime()),
                }
            )
    return frames, labels, anchored


# --------------------------------------------------------------------------------------------------
# Work orders and their alarms
# --------------------------------------------------------------------------------------------------


@dataclass
class WO:
    """One work order before numbering."""

    asset: str
    wo_type: str
    opened: datetime
    closed: datetime
    priority: int
    problem: str
    cause: str
    action: str
    parts: list[str]
    downtime_h: float
    cost: float
    tech: str
    mode: str


def fill(template: str, vals: dict[str, float], fmt: dict[str, int], code: str = "") -> str:
    """Fill {placeholders} of a template with values formatted to their decimals."""
    out = template.replace("{code}", code)
    for k, v in vals.items():
        out = out.replace("{" + k + "}", f"{v:.{fmt.get(k, 1)}f}")
    return out


def techy_case(rng: np.random.Generator, s: str) -> str:
    """Technicians type in all caps about a third of the time."""
    r = rng.random()
    if r < 0.33:
        return s.upper()
    if r < 0.45:
        return s.lower()
    return s


def workday_morning(t: datetime, rng: np.random.Generator) -> datetime:
    """Move a timestamp to the next weekday between 07:00 and 10:00."""
    d = t.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(minutes=int(rng.integers(0, 180)))
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def in_blackout(asset: str, t: datetime, before_days: float = 7, after_days: float = 10) -> bool:
    """True when t falls near an asset's sensor window (reserved for the sensor-anchored history)."""
    if asset not in SENSOR_ASSETS:
        return False
    ws = window_start(asset)
    we = ws + timedelta(days=SENSOR_DAYS)
    return ws - timedelta(days=before_days) <= t <= we + timedelta(days=after_days)


def random_time(rng: np.random.Generator, lo: datetime, hi: datetime) -> datetime:
    """Uniform random time between lo and hi (minute resolution)."""
    span = int((hi - lo).total_seconds() // 60)
    return lo + timedelta(minutes=int(rng.integers(0, max(1, span))))


def cm_dates(asset: str, anchors: list[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """Failure detection times of the random (non-anchored) corrective history of an asset.

    Random failures of the same mode too close to a sensor-anchored failure are dropped, so that chronic
    problems keep their recurrence interval around the repairs seen in the sensor files.
    """
    min_gap = {m: 0.7 * lo for m, lo, _hi in CHRONIC.get(asset, [])}
    rng = rng_for("cm-dates", asset)
    out: list[tuple[str, datetime]] = []
    for mode, lo, hi in CHRONIC.get(asset, []):
        t = WO_START + timedelta(days=float(rng.uniform(10, lo)))
        while t < WO_END - timedelta(days=6):
            out.append((mode, t))
            t += timedelta(days=float(rng.uniform(lo, hi)))
    if asset in SEASONAL:
        mode, months = SEASONAL[asset]
        for year in (2022, 2023, 2024, 2025):
            k = 1 + int(rng.random() < 0.45)
            for _ in range(k):
                mth = int(pick(rng, months))
                t = datetime(year, mth, 1) + timedelta(days=float(rng.uniform(0, 29)))
                if t < WO_END - timedelta(days=6):
                    out.append((mode, t))
    years = (WO_END - WO_START).days / 365.25
    for mode, rate in SPORADIC.get(asset, {}).items():
        for _ in range(int(rng.poisson(rate * years))):
            out.append((mode, random_time(rng, WO_START + timedelta(days=3), WO_END - timedelta(days=6))))
    out.extend(ONE_OFF.get(asset, []))
    out.sort(key=lambda x: x[1])
    kept: list[tuple[str, datetime]] = []
    for mode, t in out:
        if in_blackout(asset, t):
            continue
        if any(m == mode and abs((t - ta).days) < min_gap.get(mode, 45) for m, ta in anchors):
            continue
        if kept and (t - kept[-1][1]).days < 6:
            continue
        kept.append((mode, t))
    return [(m, t.replace(second=0, microsecond=0)) for m, t in kept]


def draw_vals(
    rng: np.random.Generator, spec: dict[str, tuple[float, float, int]]
) -> tuple[dict[str, float], dict[str, int]]:
    """Random values for the placeholders of a template."""
    vals = {k: round(float(rng.uniform(lo, hi)), dec) for k, (lo, hi, dec) in spec.items()}
    return vals, {k: dec for k, (_lo, _hi, dec) in spec.items()}


def tech_for(asset: str, rng: np.random.Generator) -> str:
    """Technician initials for an asset type."""
    return str(pick(rng, TECHS[TECH_POOL[ASSETS[asset]]]))


def cost_of(
    parts: list[str], labor_h: float, crew: int, rng: np.random.Generator, extra: float = 0.0
) -> float:
    """Parts plus labour (and consumables)."""
    c = sum(PART_PRICES[p] for p in parts) + labor_h * crew * LABOR_RATE + extra + float(rng.uniform(0, 60))
    return round(c, 2)


def alarm_trail(
    journal: Journal,
    rng: np.random.Generator,
    asset: str,
    lib: ModeLib,
    vals: dict[str, float],
    t_first: datetime,
    opened: datetime,
    em: bool,
) -> list[str]:
    """Alarm lines before a corrective work order; returns the codes that are left active."""
    codes = [lib.codes[0]] + [c for c in lib.codes[1:] if rng.random() < 0.5] if lib.codes else []
    active: list[str] = []
    for j, (code, key) in enumerate(codes):
        t = t_first + timedelta(minutes=int(rng.integers(0, 50)) * j, seconds=int(rng.integers(0, 59)))
        if t >= opened:
            t = opened - timedelta(minutes=int(rng.integers(5, 30)))
        value = vals.get(key) if key else None
        # gradual faults chatter: the first alarms clear again before the job is raised
        n_chatter = int(rng.integers(0, 3)) if lib.gradual else 0
        for c in range(n_chatter):
            v = None
            if value is not None:
                _t, _u, limit, direction, dec = ALARM_DEFS[code]
                frac = 0.2 + 0.3 * c
                v = round(limit + (value - limit) * frac, dec)
            journal.alarm(t, asset, code, v)
            if rng.random() < 0.85:
                journal.add(
                    t + timedelta(seconds=int(rng.integers(40, 420))),
                    asset,
                    f"{code} ACK by {pick(rng, OPERATORS)}",
                )
            t_clear = t + timedelta(minutes=int(rng.integers(8, 180)))
            journal.add(t_clear, asset, f"{code} CLEAR")
            gap = (opened - t_clear).total_seconds() / 60.0
            if gap < 40:
                break
            t = t_clear + timedelta(minutes=float(rng.uniform(10, gap * 0.6)))
        if t >= opened:
            t = opened - timedelta(minutes=int(rng.integers(3, 20)))
        journal.alarm(t, asset, code, value)
        if rng.random() < 0.92:
            journal.add(
                t + timedelta(seconds=int(rng.integers(30, 1200))),
                asset,
                f"{code} ACK by {pick(rng, OPERATORS)}",
            )
        active.append(code)
    if em and lib.trip is not None:
        code, key = lib.trip
        t = opened - timedelta(minutes=int(rng.integers(6, 45)), seconds=int(rng.integers(0, 59)))
        journal.alarm(t, asset, code, vals.get(key) if key else None)
        journal.add(t + timedelta(seconds=1), asset, "STOP cmd=TRIP")
        journal.add(
            t + timedelta(seconds=int(rng.integers(30, 400))), asset, f"{code} ACK by {pick(rng, OPERATORS)}"
        )
        if code not in active:
            active.append(code)
    return active


def make_cm(
    asset: str,
    mode: str,
    t_first: datetime,
    rng: np.random.Generator,
    journal: Journal,
    anchor: dict | None = None,
) -> WO:
    """One corrective (CM or EM) work order with its alarm trail."""
    atype = ASSETS[asset]
    lib = CM_LIB[atype][mode]
    vals, decs = draw_vals(rng, lib.vals)
    em = rng.random() < lib.em_prob
    if anchor is not None:
        em = False
        vals.update(anchor["vals"])
    codes_present = bool(lib.codes)
    if anchor is None:
        if lib.gradual:
            opened = t_first + timedelta(hours=float(rng.uniform(1.5, 54.0)))
        else:
            opened = t_first + timedelta(minutes=float(rng.uniform(12, 180)))
        if em:
            opened = t_first + timedelta(minutes=float(rng.uniform(15, 90)))
        elif opened.hour < 6 or opened.hour >= 20:
            opened = opened.replace(hour=7) + timedelta(minutes=int(rng.integers(0, 90)))
        opened = opened.replace(second=0, microsecond=0)
        if codes_present and rng.random() < 0.93:
            active = alarm_trail(journal, rng, asset, lib, vals, t_first, opened, em)
        else:
            active = []
            codes_present = False
            if em and lib.trip is not None:
                active = alarm_trail(
                    journal,
                    rng,
                    asset,
                    ModeLib([], [], [], (0, 0), 1, 1, False, [], lib.trip, {}),
                    vals,
                    t_first,
                    opened,
                    True,
                )
        if em:
            wait = float(rng.uniform(0.2, 2.5))
        else:
            wait = float(rng.uniform(0.5, 30.0))
        downtime = round(float(rng.uniform(*lib.downtime)), 1)
        rep_a = opened + timedelta(hours=wait)
        if not em and not (7 <= rep_a.hour < 16):  # planned repairs start in the day shift
            rep_a = workday_morning(rep_a + timedelta(hours=8), rng) + timedelta(minutes=30)
        rep_b = rep_a + timedelta(hours=downtime)
        if lib.stop and downtime > 0:
            if not (em and lib.trip is not None):
                journal.add(rep_a + timedelta(seconds=int(rng.integers(0, 59))), asset, "STOP cmd=LOCAL")
            for code in active:
                journal.add(rep_a + timedelta(minutes=int(rng.integers(1, 20))), asset, f"{code} CLEAR")
            journal.add(rep_b + timedelta(seconds=int(rng.integers(0, 59))), asset, "START cmd=LOCAL")
        else:
            for code in active:
                journal.add(rep_b + timedelta(minutes=int(rng.integers(1, 30))), asset, f"{code} CLEAR")
    else:
        rep_a, rep_b = anchor["repair_start"], anchor["repair_end"]
        fa = anchor["first_alarm"]
        if fa is not None:
            opened = fa + timedelta(minutes=float(rng.uniform(20, 150)))
        else:
            opened = anchor["start"] + (anchor["end"] - anchor["start"]) * float(rng.uniform(0.45, 0.8))
        latest = rep_a - timedelta(minutes=25)
        if anchor["stop"] and opened > latest:
            opened = latest
        if not anchor["stop"]:
            opened = (
                max(opened, anchor["window"][1] + timedelta(hours=float(rng.uniform(1, 6))))
                if anchor["mode"] == "bearing_wear"
                else opened
            )
            if anchor["mode"] == "bearing_wear":
                rep_a = opened + timedelta(hours=float(rng.uniform(3, 20)))
                rep_b = rep_a + timedelta(hours=float(rng.uniform(*lib.downtime)))
        opened = opened.replace(second=0, microsecond=0)
        downtime = round((rep_b - rep_a).total_seconds() / 3600.0, 1) if lib.stop else 0.0
        if anchor["mode"] == "bearing_wear":
            journal.add(rep_a + timedelta(seconds=int(rng.integers(0, 59))), asset, "STOP cmd=LOCAL")
            for code in anchor["open_alarms"]:
                journal.add(rep_a + timedelta(minutes=int(rng.integers(1, 10))), asset, f"{code} CLEAR")
            journal.add(rep_b + timedelta(seconds=int(rng.integers(0, 59))), asset, "START cmd=LOCAL")
        codes_present = fa is not None
    if 6 <= rep_b.hour < 18 or rng.random() < 0.2:
        closed = rep_b + timedelta(hours=float(rng.uniform(0.3, 3.0)))
    else:  # paperwork done by the next day shift
        closed = (rep_b + timedelta(hours=10)).replace(hour=7) + timedelta(minutes=int(rng.integers(20, 180)))
    if closed <= opened:
        closed = opened + timedelta(hours=float(rng.uniform(1.0, 6.0)))
    problems = [p for p in lib.problems if codes_present or "{code}" not in p]
    code0 = lib.codes[0][0] if lib.codes else ""
    problem = techy_case(rng, fill(str(pick(rng, problems)), vals, decs, code0))
    ci = int(rng.integers(len(lib.causes)))
    if anchor is not None:
        ci, pi = ANCHOR_CAUSE[(asset, mode)]
        problem = techy_case(rng, fill(lib.problems[pi], vals, decs, code0))
    cause = fill(lib.causes[ci], vals, decs)
    act_t, parts = lib.actions[CAUSE_FIX[(atype, mode)][ci]]
    action = fill(act_t, vals, decs) + handover_note(rep_b, rng)
    wo_type = "EM" if em else "CM"
    prio = 1 if em else int(pick(rng, [2, 2, 3]))
    extra = 1800.0 if ("service" in action.lower() or "shop" in action.lower()) else 0.0
    cost = cost_of(parts, max(downtime, 1.0), lib.crew, rng, extra)
    return WO(
        asset,
        wo_type,
        opened,
        closed.replace(second=0, microsecond=0),
        prio,
        problem,
        cause,
        action,
        list(parts),
        downtime,
        cost,
        tech_for(asset, rng),
        mode,
    )


def handover_note(t_end: datetime, rng: np.random.Generator) -> str:
    """Short closing remark technicians add to a repair ("released to ops 14:20")."""
    r = rng.random()
    if r < 0.3:
        return ""
    tt = t_end + timedelta(minutes=int(rng.integers(5, 50)))
    notes = [
        f", released to ops {tt:%H:%M}",
        f", ran {int(rng.integers(15, 90))} min under load ok",
        f", handed back {tt:%H:%M}",
        f" - trend chkd {int(rng.integers(1, 5))} h after start",
        f", back in svc {tt:%H:%M}",
    ]
    return str(pick(rng, notes))


def running_hours(asset: str, t: datetime) -> int:
    """Hour meter reading of an asset at time t."""
    return int(
        HOUR_BASE.get(asset, 10000.0)
        + (t - WO_START).total_seconds() / 86400.0 * HOURS_PER_DAY.get(asset, 20.0)
    )


def pm_schedule(asset: str) -> list[tuple[str, datetime]]:
    """(task key, due time) of the preventive / inspection program of an asset."""
    atype = ASSETS[asset]
    rng = rng_for("pm", asset)
    off = float(rng.uniform(2, 40))
    out: list[tuple[str, datetime]] = []

    def every(days: float, key: str, offset: float) -> None:
        t = WO_START + timedelta(days=offset)
        while t < WO_END - timedelta(days=4):
            out.append((key, t))
            t += timedelta(days=days)

    if atype == "centrifugal_pump":
        every(91, "q", off)
        every(365, "y", off + 45)
        every(365, "t", off + 160)
    elif atype == "screw_compressor":
        days = 2000.0 / HOURS_PER_DAY[asset]
        cycle = ["2000", "4000", "2000", "8000"]
        t = WO_START + timedelta(days=off)
        k = int(rng.integers(0, 4))
        while t < WO_END - timedelta(days=4):
            out.append((cycle[k % 4], t))
            k += 1
            t += timedelta(days=days * float(rng.uniform(0.93, 1.05)))
        every(365, "sv", off + 120)
    elif atype == "induction_motor_vfd":
        t = WO_START + timedelta(days=off)
        k = 0
        while t < WO_END - timedelta(days=4):
            out.append(("y" if k % 4 == 3 else ("g" if k % 2 == 1 else "q"), t))
            k += 1
            t += timedelta(days=91)
        every(365, "t", off + 200)
    elif atype == "cnc_spindle":
        t = WO_START + timedelta(days=off)
        k = 0
        while t < WO_END - timedelta(days=4):
            out.append(("y" if k % 4 == 3 else ("h" if k % 2 == 1 else "q"), t))
            k += 1
            t += timedelta(days=91)
    elif atype == "hydraulic_power_unit":
        days = 1000.0 / HOURS_PER_DAY[asset]
        t = WO_START + timedelta(days=off)
        k = 0
        while t < WO_END - timedelta(days=4):
            out.append(("4000" if k % 4 == 3 else ("2000" if k % 2 == 1 else "1000"), t))
            k += 1
            t += timedelta(days=days * float(rng.uniform(0.95, 1.05)))
        every(182, "acc", off + 20)
    elif atype == "belt_conveyor":
        every(91, "q", off)
        every(2000.0 / HOURS_PER_DAY[asset], "p", off + 30)
    elif atype == "chiller":
        every(182, "q", off)
        every(182, "h", off + 91)
        for y in (2022, 2023, 2024, 2025):
            out.append(("y", datetime(y, 4, 4) + timedelta(days=float(rng.uniform(0, 20)))))
    elif atype == "steam_boiler":
        every(91, "q", off)
        every(182, "h", off + 50)
        for y in (2022, 2023, 2024):
            out.append(("y", datetime(y, 8, 8) + timedelta(days=float(rng.uniform(0, 14)))))
    out.sort(key=lambda x: x[1])
    return out


def make_pm(asset: str, key: str, due: datetime, rng: np.random.Generator, journal: Journal) -> WO:
    """One PM / INSP work order (and STOP/START lines when the asset is taken out of service)."""
    task = PM_LIB[ASSETS[asset]][key]
    opened = workday_morning(due, rng)
    if in_blackout(asset, opened, 1, 1):
        opened = workday_morning(window_start(asset) + timedelta(days=SENSOR_DAYS + 2), rng)
    vals, decs = draw_vals(rng, PM_VALS)
    vals["hrs"] = float(running_hours(asset, opened))
    decs["hrs"] = 0
    downtime = round(float(rng.uniform(*task.downtime)), 1) if task.downtime[1] > 0 else 0.0
    start = opened + timedelta(minutes=int(rng.integers(10, 90)))
    if downtime > 0:
        journal.add(start + timedelta(seconds=int(rng.integers(0, 59))), asset, "STOP cmd=LOCAL")
        journal.add(
            start + timedelta(hours=downtime, seconds=int(rng.integers(0, 59))), asset, "START cmd=LOCAL"
        )
    labor = max(downtime, float(rng.uniform(0.5, 1.5)))
    closed = start + timedelta(hours=labor + float(rng.uniform(0.2, 3.0)))
    action = fill(task.action, vals, decs)
    action = action.replace(f"@ {int(vals['hrs'])} h", f"@ {int(vals['hrs']):,} h")
    problem = techy_case(rng, task.problem) if rng.random() < 0.3 else task.problem
    return WO(
        asset,
        task.wo_type,
        opened,
        closed.replace(second=0, microsecond=0),
        int(pick(rng, [3, 3, 4])) if task.wo_type == "PM" else 4,
        problem,
        "",
        action,
        list(task.parts),
        downtime,
        cost_of(task.parts, labor, task.crew, rng),
        tech_for(asset, rng),
        "",
    )


def nuisance_events(journal: Journal) -> None:
    """Alarms that need no work order: pull-cord stops, flame failures, drive trips, power dips."""
    rng = rng_for("nuisance")
    span_days = (WO_END - WO_START).days

    def free(asset: str, t: datetime) -> bool:
        return not in_blackout(asset, t, 1, 1)

    def trip_cycle(
        asset: str, code: str, t: datetime, value: float | None, reset_min: tuple[int, int], stop: bool = True
    ) -> None:
        journal.alarm(t, asset, code, value)
        if stop:
            journal.add(t + timedelta(seconds=1), asset, "STOP cmd=TRIP")
        journal.add(
            t + timedelta(seconds=int(rng.integers(20, 600))), asset, f"{code} ACK by {pick(rng, OPERATORS)}"
        )
        dt = timedelta(minutes=int(rng.integers(*reset_min)), seconds=int(rng.integers(0, 59)))
        journal.add(t + dt, asset, f"{code} CLEAR")
        if stop:
            journal.add(t + dt + timedelta(seconds=int(rng.integers(30, 300))), asset, "START cmd=LOCAL")

    def day_time(day: int, h0: int, h1: int) -> datetime:
        return WO_START + timedelta(
            days=day,
            hours=int(rng.integers(h0, h1)),
            minutes=int(rng.integers(0, 60)),
            seconds=int(rng.integers(0, 60)),
        )

    for asset in ("CV-601", "CV-602"):
        for _ in range(int(rng.poisson(0.55 * span_days / 30.4))):
            t = day_time(int(rng.integers(0, span_days)), 6, 21)
            if t.weekday() < 6 and free(asset, t):
                trip_cycle(asset, "E606", t, None, (4, 45))
    for _ in range(int(rng.poisson(5 * span_days / 365))):
        t = day_time(int(rng.integers(0, span_days)), 0, 24)
        if free("B-801", t):
            trip_cycle("B-801", "E803", t, None, (6, 35))
    for asset in ("M-301", "M-302"):
        for _ in range(int(rng.poisson(2.5 * span_days / 365))):
            t = day_time(int(rng.integers(0, span_days)), 0, 24)
            if free(asset, t):
                trip_cycle(asset, "E302", t, float(rng.uniform(801, 835)), (2, 20))
    for asset in ("S-401", "S-402"):
        for _ in range(int(rng.poisson(6 * span_days / 365))):
            t = day_time(int(rng.integers(0, span_days)), 6, 21)
            if t.weekday() < 5 and free(asset, t):
                trip_cycle(asset, "E404", t, float(rng.uniform(121, 152)), (1, 6), stop=False)
    for _ in range(int(rng.poisson(2 * span_days / 365))):
        t = day_time(int(rng.integers(0, span_days)), 0, 24)
        if free("CH-701", t):
            trip_cycle("CH-701", "E703", t, None, (2, 15), stop=False)
    for asset in ("P-101", "P-102", "P-103"):
        for _ in range(int(rng.poisson(1.2 * span_days / 365))):
            t = day_time(int(rng.integers(0, span_days)), 0, 24)
            if free(asset, t):
                trip_cycle(asset, "E106", t, float(rng.uniform(9, 28)), (1, 8), stop=False)
    for asset in ("C-201", "C-202"):
        for _ in range(int(rng.poisson(1.0 * span_days / 365))):
            t = day_time(int(rng.integers(0, span_days)), 0, 24)
            if free(asset, t):
                trip_cycle(asset, "E205", t, float(rng.uniform(69.1, 71.5)), (1, 10), stop=False)
    # grid dips: several drives and motors drop out at the same moment
    for day in (
        datetime(2022, 7, 19, 14, 22, 31),
        datetime(2023, 6, 27, 16, 5, 12),
        datetime(2024, 8, 13, 15, 48, 2),
        datetime(2024, 12, 3, 7, 11, 40),
    ):
        for asset in ("M-301", "M-302"):
            trip_cycle(asset, "E306", day + timedelta(seconds=int(rng.integers(0, 2))), None, (10, 40))
        for asset in ("P-101", "P-103", "C-201"):
            journal.add(day + timedelta(seconds=int(rng.integers(0, 3))), asset, "STOP cmd=TRIP")
            journal.add(day + timedelta(minutes=int(rng.integers(8, 30))), asset, "START cmd=REMOTE")
        if day.weekday() < 5:
            for asset in ("CV-601", "CV-602"):
                journal.add(day + timedelta(seconds=int(rng.integers(0, 3))), asset, "STOP cmd=TRIP")
                journal.add(day + timedelta(minutes=int(rng.integers(12, 45))), asset, "START cmd=LOCAL")


def make_work_orders(anchored: list[dict], journal: Journal) -> pd.DataFrame:
    """All work orders (PM program, random corrective history, sensor-anchored repairs)."""
    wos: list[WO] = []
    for asset in ASSETS:
        rng = rng_for("wo", asset)
        for key, due in pm_schedule(asset):
            wos.append(make_pm(asset, key, due, rng, journal))
        anchors = [(a["mode"], a["start"]) for a in anchored if a["asset"] == asset]
        for mode, t in cm_dates(asset, anchors):
            wos.append(make_cm(asset, mode, t, rng, journal))
    for a in anchored:
        rng = rng_for("wo-anchor", a["asset"], a["mode"])
        wos.append(make_cm(a["asset"], a["mode"], a["start"], rng, journal, anchor=a))
    wos.sort(key=lambda w: (w.opened, w.asset, w.wo_type))
    rows = []
    counters: dict[int, int] = {}
    for w in wos:
        y = w.opened.year
        counters[y] = counters.get(y, 0) + 1
        rows.append(
            {
                "wo_id": f"WO-{y % 100:02d}-{counters[y]:04d}",
                "opened": w.opened.strftime("%Y-%m-%dT%H:%M"),
                "closed": w.closed.strftime("%Y-%m-%dT%H:%M"),
                "asset": w.asset,
                "asset_type": ASSETS[w.asset],
                "wo_type": w.wo_type,
                "priority": w.priority,
                "problem": w.problem,
                "cause": w.cause,
                "action": w.action,
                "parts": ";".join(w.parts),
                "downtime_h": f"{w.downtime_h:.1f}",
                "cost_usd": f"{w.cost:.2f}",
                "technician": w.tech,
                "failure_mode": w.mode,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Write logs/work_orders.csv, logs/alarms.log, sensors/*.csv and sensors/labels.json under --out."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="corpus", help="corpus root directory (default: corpus)")
    args = ap.parse_args(argv)
    root = Path(args.out)
    (root / "logs").mkdir(parents=True, exist_ok=True)
    (root / "sensors").mkdir(parents=True, exist_ok=True)
    journal = Journal()
    frames, labels, anchored = make_sensors(journal)
    nuisance_events(journal)
    wo = make_work_orders(anchored, journal)
    for asset, df in frames.items():
        df.to_csv(root / "sensors" / f"{asset}.csv", index=False, lineterminator="\n")
    (root / "sensors" / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")
    wo.to_csv(root / "logs" / "work_orders.csv", index=False, lineterminator="\n")
    (root / "logs" / "alarms.log").write_text(journal.render(), encoding="utf-8")
    print(
        f"work orders: {len(wo)}  alarm lines: {len(journal.lines)}  sensor files: {len(frames)}  "
        f"labelled faults: {len(labels)}"
    )


if __name__ == "__main__":
    main()
