"""The mapping file (`copilot batch --mapping FILE`): how to read exports whose columns or names are unusual.

Recognition by content covers most exports; a mapping file covers the rest without code. YAML or JSON:

```yaml
columns:                      # work-order column roles, for every table (guessed when absent)
  id: Ref
  date: Opened
  asset: Equipment
  text: Complaint             # free text; several columns may be joined: [Problem, Cause, Action]
  cost: Total AUD
files:                        # per file (glob on the path relative to INPUT_DIR), overriding the above
  "exports/pumps_*.csv": {kind: work_orders, columns: {asset: Tag}}
  "scada/line3.csv": {kind: sensor, asset: P-101}
  "notes/*": {kind: skip}
```
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.config import read_yaml_mapping
from copilot.errors import ConfigError

KINDS = ("work_orders", "alarm_log", "sensor", "skip")
ROLES = ("id", "date", "asset", "text", "problem", "cause", "action", "cost", "downtime", "type", "failure_mode",
         "closed")


@dataclass(frozen=True)
class FileRule:
    """What the mapping says about files matching one glob."""

    pattern: str
    kind: str | None = None
    asset: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputMapping:
    """Column roles for every table, plus per-file rules (first matching glob wins)."""

    columns: dict[str, Any] = field(default_factory=dict)
    files: tuple[FileRule, ...] = ()

    def rule_for(self, relative: str) -> FileRule | None:
        """The first rule whose glob matches the path relative to INPUT_DIR (or its bare file name)."""
        name = relative.rsplit("/", 1)[-1]
        return next((r for r in self.files if fnmatch.fnmatch(relative, r.pattern) or fnmatch.fnmatch(name, r.pattern)),
                    None)

    def columns_for(self, relative: str) -> dict[str, Any]:
        rule = self.rule_for(relative)
        return {**self.columns, **(rule.columns if rule else {})}

    def fingerprint(self) -> str:
        """A stable text of the mapping, part of every resume key (a changed mapping re-reads the inputs)."""
        return json.dumps({"columns": self.columns, "files": [vars(r) for r in self.files]}, sort_keys=True)


def _check_columns(columns: Any, where: str) -> dict[str, Any]:
    if not isinstance(columns, dict):
        raise ConfigError(f"mapping {where}: 'columns' must be a mapping of role -> column name")
    unknown = set(columns) - set(ROLES)
    if unknown:
        raise ConfigError(f"mapping {where}: unknown column role(s) {sorted(unknown)}; known: {', '.join(ROLES)}")
    for role, value in columns.items():
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not ok:
            raise ConfigError(f"mapping {where}: column for {role!r} must be a name or a list of names, got {value!r}")
    return dict(columns)


def load_mapping(path: str | Path | None) -> InputMapping:
    """Read a mapping file (YAML or JSON); None gives the empty mapping.

    Raises:
        ConfigError: a missing file, bad syntax, unknown kinds or roles, naming the place.
    """
    if path is None:
        return InputMapping()
    file = Path(path)
    shape = "a mapping with 'columns' and/or 'files' (see `copilot batch --help`)"
    data = read_yaml_mapping(file, "mapping file", shape, syntax="YAML or JSON")
    if set(data) - {"columns", "files"}:
        raise ConfigError(f"mapping file {file} must be {shape}")
    columns = _check_columns(data.get("columns") or {}, str(file))
    rules = []
    for pattern, spec in (data.get("files") or {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"mapping {file}: files[{pattern!r}] must be a mapping (kind, asset, columns)")
        unknown = set(spec) - {"kind", "asset", "columns"}
        if unknown:
            raise ConfigError(f"mapping {file}: files[{pattern!r}] has unknown key(s) {sorted(unknown)}")
        kind = spec.get("kind")
        if kind is not None and kind not in KINDS:
            raise ConfigError(f"mapping {file}: files[{pattern!r}] kind {kind!r} is not one of {', '.join(KINDS)}")
        rules.append(FileRule(str(pattern), kind, spec.get("asset"),
                              _check_columns(spec.get("columns") or {}, f"{file} files[{pattern!r}]")))
    return InputMapping(columns, tuple(rules))
