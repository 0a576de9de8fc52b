"""The files of a package, in the formats partners use. Pure: entities in, bytes out.

- FollowTheMoney JSONL (Aleph, OpenSanctions tooling), one entity a line, with Maxim's
  provenance and conditions as entity context (`maxim`), which FollowTheMoney keeps;
- CSV, one file per schema, and the same as an Excel workbook, one sheet per schema;
- i2 Analyst's Notebook: an entities table and a links table with an import specification
  naming their columns, so an analyst maps them once in the import wizard;
- the network of the included entities as GraphML and GEXF (Gephi, yEd, networkx).

Every row of every table carries the grading, handling code and conditions of the report it
came from: a table cut out of the workbook still says how it may be used.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from followthemoney import model
from followthemoney.types import registry

from maxim.domain.spreadsheet import csv_row, xlsx_append
from maxim.share.package import CONTEXT

QUALITY_COLUMNS = (
    "source_reference",
    "originator",
    "grading",
    "handling_code",
    "handling_conditions",
    "action_code",
    "sanitisation_code",
    "basis",
)
# FollowTheMoney schema -> i2 Analyst's Notebook entity type (standard icon set); others by label.
I2_TYPES = {
    "Person": "Person",
    "Organization": "Organisation",
    "Company": "Organisation",
    "LegalEntity": "Organisation",
    "PublicBody": "Organisation",
    "Address": "Address",
    "Vehicle": "Vehicle",
    "BankAccount": "Account",
    "Passport": "Document",
    "Identification": "Document",
    "Phone": "Telephone",
}
I2_ENTITY_COLUMNS = ("Entity Type", "Identity", "Label", "Schema", "Description", *QUALITY_COLUMNS)
I2_LINK_COLUMNS = ("Link Type", "End 1 Identity", "End 2 Identity", "Label", "Direction", "Schema", *QUALITY_COLUMNS)


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    target: str
    label: str
    schema: str
    via: str | None  # the link entity's id (Ownership, Family, ...) or None for a direct reference


def _quality(entity: Mapping[str, Any]) -> dict[str, str]:
    reports = (entity.get(CONTEXT) or {}).get("reports") or [{}]
    first = reports[0]
    return {
        "source_reference": "; ".join(f"{r.get('originator')}/{r.get('reference')}" for r in reports),
        "originator": str(first.get("originator") or ""),
        "grading": str(first.get("grading") or ""),
        "handling_code": str(first.get("handling_code") or ""),
        "handling_conditions": str(first.get("handling_conditions") or ""),
        "action_code": str(first.get("action_code") or ""),
        "sanitisation_code": str(first.get("sanitisation_code") or ""),
        "basis": str(first.get("basis") or ""),
    }


def caption(entity: Mapping[str, Any]) -> str:
    proxy = model.get_proxy({k: entity[k] for k in ("id", "schema", "properties")})
    return str(proxy.caption)


def ftm_jsonl(entities: Iterable[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in entities).encode("utf-8")


def _is_edge(schema_name: str) -> bool:
    schema = model.get(schema_name)
    return bool(schema is not None and schema.edge)


def links(entities: Sequence[Mapping[str, Any]]) -> list[Link]:
    """Edges of the network: link entities (source -> target) and direct references between nodes."""
    ids = {e["id"] for e in entities}
    out: list[Link] = []
    for entity in entities:
        schema = model.get(entity["schema"])
        if schema is None:
            continue
        props = entity.get("properties") or {}
        if schema.edge and schema.edge_source and schema.edge_target:
            for source in props.get(schema.edge_source, []):
                for target in props.get(schema.edge_target, []):
                    if source in ids and target in ids:
                        out.append(Link(source, target, schema.edge_label or schema.label, schema.name, entity["id"]))
            continue
        for name, values in sorted(props.items()):
            prop = schema.get(name)
            if prop is None or prop.type != registry.entity:
                continue
            for target in values:
                if target in ids:
                    out.append(Link(entity["id"], target, prop.label, schema.name, None))
    return out


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A CSV file of the rows; a cell a spreadsheet would run as a formula is quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_row(columns))
    for row in rows:
        writer.writerow(csv_row([row.get(c) for c in columns]))
    return buffer.getvalue().encode("utf-8")


def schema_tables(entities: Sequence[Mapping[str, Any]]) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    """One table per schema: id, caption, the quality columns, then every property used."""
    by_schema: dict[str, list[Mapping[str, Any]]] = {}
    for entity in entities:
        by_schema.setdefault(entity["schema"], []).append(entity)
    tables = {}
    for schema_name in sorted(by_schema):
        rows = by_schema[schema_name]
        props = sorted({p for e in rows for p in (e.get("properties") or {})})
        columns = ["id", "caption", "role", *QUALITY_COLUMNS, *props]
        table = []
        for entity in rows:
            row = {"id": entity["id"], "caption": caption(entity), "role": (entity.get(CONTEXT) or {}).get("role", "")}
            row.update(_quality(entity))
            for prop in props:
                row[prop] = "; ".join(entity.get("properties", {}).get(prop, []))
            table.append(row)
        tables[schema_name] = (columns, table)
    return tables


def i2_tables(entities: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The i2 entities table (non-link entities) and links table."""
    by_id = {e["id"]: e for e in entities}
    nodes = []
    for entity in entities:
        if _is_edge(entity["schema"]):
            continue
        schema = model.get(entity["schema"])
        label = schema.label if schema is not None else entity["schema"]
        row = {
            "Entity Type": I2_TYPES.get(entity["schema"], label),
            "Identity": entity["id"],
            "Label": caption(entity),
            "Schema": entity["schema"],
            "Description": (entity.get(CONTEXT) or {}).get("role", ""),
        }
        row.update(_quality(entity))
        nodes.append(row)
    edges = []
    for link in links(entities):
        row = {
            "Link Type": link.label,
            "End 1 Identity": link.source,
            "End 2 Identity": link.target,
            "Label": link.label,
            "Direction": "End 1 to End 2",
            "Schema": link.schema,
        }
        row.update(_quality(by_id[link.via or link.source]))
        edges.append(row)
    return nodes, edges


I2_SPECIFICATION = {
    "format": "i2 Analyst's Notebook import specification (columns of i2/entities.csv and i2/links.csv)",
    "how": "Import wizard: entities file first with the entity columns below, then the links file; "
    "identities join links to entities. Quality columns become attributes.",
    "entities": {
        "file": "i2/entities.csv",
        "entity_type_column": "Entity Type",
        "identity_column": "Identity",
        "label_column": "Label",
        "description_column": "Description",
        "attribute_columns": ["Schema", *QUALITY_COLUMNS],
    },
    "links": {
        "file": "i2/links.csv",
        "link_type_column": "Link Type",
        "end1_identity_column": "End 1 Identity",
        "end2_identity_column": "End 2 Identity",
        "label_column": "Label",
        "direction_column": "Direction",
        "attribute_columns": ["Schema", *QUALITY_COLUMNS],
    },
}


def xlsx(
    tables: Mapping[str, tuple[Sequence[str], Sequence[Mapping[str, Any]]]],
) -> bytes:
    """An Excel workbook, one sheet per table (sheet names cut to Excel's 31 characters).

    Every text cell is written as text, never as a formula (`maxim.domain.spreadsheet`).
    """
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for name, (columns, rows) in tables.items():
        sheet = book.create_sheet(title=name[:31])
        xlsx_append(sheet, list(columns))
        for row in rows:
            xlsx_append(sheet, [row.get(c) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _node_attrs(entity: Mapping[str, Any]) -> dict[str, str]:
    quality = _quality(entity)
    return {
        "label": caption(entity),
        "schema": entity["schema"],
        "role": str((entity.get(CONTEXT) or {}).get("role", "")),
        "grading": quality["grading"],
        "handling_code": quality["handling_code"],
        "source_reference": quality["source_reference"],
    }


NODE_KEYS = ("label", "schema", "role", "grading", "handling_code", "source_reference")
EDGE_KEYS = ("label", "schema")


def graph_parts(entities: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, dict[str, str]]], list[Link]]:
    nodes = [(e["id"], _node_attrs(e)) for e in entities if not _is_edge(e["schema"])]
    return nodes, links(entities)


def graphml(entities: Sequence[Mapping[str, Any]]) -> bytes:
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    for key in NODE_KEYS:
        ET.SubElement(root, "key", {"id": f"n_{key}", "for": "node", "attr.name": key, "attr.type": "string"})
    for key in EDGE_KEYS:
        ET.SubElement(root, "key", {"id": f"e_{key}", "for": "edge", "attr.name": key, "attr.type": "string"})
    graph = ET.SubElement(root, "graph", {"id": "package", "edgedefault": "directed"})
    nodes, edges = graph_parts(entities)
    for node_id, attrs in nodes:
        node = ET.SubElement(graph, "node", {"id": node_id})
        for key in NODE_KEYS:
            ET.SubElement(node, "data", {"key": f"n_{key}"}).text = attrs[key]
    for i, link in enumerate(edges):
        edge = ET.SubElement(graph, "edge", {"id": f"e{i}", "source": link.source, "target": link.target})
        ET.SubElement(edge, "data", {"key": "e_label"}).text = link.label
        ET.SubElement(edge, "data", {"key": "e_schema"}).text = link.schema
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


def gexf(entities: Sequence[Mapping[str, Any]]) -> bytes:
    root = ET.Element("gexf", {"xmlns": "http://gexf.net/1.3", "version": "1.3"})
    graph = ET.SubElement(root, "graph", {"mode": "static", "defaultedgetype": "directed"})
    attributes = ET.SubElement(graph, "attributes", {"class": "node"})
    keys = [k for k in NODE_KEYS if k != "label"]
    for i, key in enumerate(keys):
        ET.SubElement(attributes, "attribute", {"id": str(i), "title": key, "type": "string"})
    nodes, edges = graph_parts(entities)
    node_list = ET.SubElement(graph, "nodes")
    for node_id, attrs in nodes:
        node = ET.SubElement(node_list, "node", {"id": node_id, "label": attrs["label"]})
        values = ET.SubElement(node, "attvalues")
        for i, key in enumerate(keys):
            ET.SubElement(values, "attvalue", {"for": str(i), "value": attrs[key]})
    edge_list = ET.SubElement(graph, "edges")
    for i, link in enumerate(edges):
        ET.SubElement(
            edge_list, "edge", {"id": str(i), "source": link.source, "target": link.target, "label": link.label}
        )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


def render(
    entities: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    notices: Sequence[Mapping[str, Any]],
) -> dict[str, bytes]:
    """Every file of a package except the manifest, by its path inside the zip."""
    tables = schema_tables(entities)
    nodes, edges = i2_tables(entities)
    files: dict[str, bytes] = {
        "entities.ftm.jsonl": ftm_jsonl(entities),
        "items.json": json.dumps(list(items), indent=2, ensure_ascii=False, default=str).encode("utf-8"),
        "notices.json": json.dumps(list(notices), indent=2, ensure_ascii=False, default=str).encode("utf-8"),
        "i2/entities.csv": _csv(I2_ENTITY_COLUMNS, nodes),
        "i2/links.csv": _csv(I2_LINK_COLUMNS, edges),
        "i2/import-specification.json": json.dumps(I2_SPECIFICATION, indent=2).encode("utf-8"),
        "network.graphml": graphml(entities),
        "network.gexf": gexf(entities),
    }
    for schema_name, (columns, rows) in tables.items():
        files[f"csv/{schema_name}.csv"] = _csv(columns, rows)
    sheets: dict[str, tuple[Sequence[str], Sequence[Mapping[str, Any]]]] = dict(tables)
    sheets["i2 entities"] = (I2_ENTITY_COLUMNS, nodes)
    sheets["i2 links"] = (I2_LINK_COLUMNS, edges)
    item_columns = ["report_id", "originator", "reference", "grading", "handling_code", "handling_conditions",
                    "action_code", "sanitisation_code", "basis", "intelligence_date", "date_created",
                    "last_review", "entities"]  # fmt: skip
    sheets["items"] = (item_columns, items)
    files["tables.xlsx"] = xlsx(sheets)
    return files
