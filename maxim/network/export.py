"""Write a network as GraphML or GEXF (Gephi, i2 import), with the reports behind every edge. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

FORMATS = ("graphml", "gexf")


def _reports(edge: dict[str, Any]) -> str:
    return ";".join(f"{r['report_id']}:{r['grading'] or ''}" for r in edge["reports"])


def graphml(data: dict[str, Any]) -> ET.Element:
    root = ET.Element("graphml", xmlns="http://graphml.graphdrawing.org/xmlns")
    keys = [("kind", "node"), ("caption", "node"), ("relations", "edge"), ("reports", "edge"), ("strong", "edge")]
    for name, domain in keys:
        ET.SubElement(root, "key", {"id": name, "for": domain, "attr.name": name, "attr.type": "string"})
    graph = ET.SubElement(root, "graph", id=data["id"], edgedefault="undirected")
    for node in data["members"]:
        el = ET.SubElement(graph, "node", id=node["id"])
        ET.SubElement(el, "data", key="kind").text = node["kind"]
        ET.SubElement(el, "data", key="caption").text = node["caption"]
    for i, edge in enumerate(data["edges"]):
        el = ET.SubElement(graph, "edge", id=f"e{i}", source=edge["source"], target=edge["target"])
        ET.SubElement(el, "data", key="relations").text = ";".join(edge["relations"])
        ET.SubElement(el, "data", key="reports").text = _reports(edge)
        ET.SubElement(el, "data", key="strong").text = str(edge["strong"]).lower()
    return root


def gexf(data: dict[str, Any]) -> ET.Element:
    root = ET.Element("gexf", xmlns="http://gexf.net/1.3", version="1.3")
    graph = ET.SubElement(root, "graph", defaultedgetype="undirected", mode="static")
    node_attrs = ET.SubElement(graph, "attributes", {"class": "node"})
    ET.SubElement(node_attrs, "attribute", id="0", title="kind", type="string")
    edge_attrs = ET.SubElement(graph, "attributes", {"class": "edge"})
    for i, title in enumerate(("relations", "reports", "strong")):
        ET.SubElement(edge_attrs, "attribute", id=str(i), title=title, type="string")
    nodes = ET.SubElement(graph, "nodes")
    for node in data["members"]:
        el = ET.SubElement(nodes, "node", id=node["id"], label=node["caption"])
        values = ET.SubElement(el, "attvalues")
        ET.SubElement(values, "attvalue", {"for": "0", "value": node["kind"]})
    edges = ET.SubElement(graph, "edges")
    for i, edge in enumerate(data["edges"]):
        el = ET.SubElement(edges, "edge", id=f"e{i}", source=edge["source"], target=edge["target"])
        values = ET.SubElement(el, "attvalues")
        for j, value in enumerate((";".join(edge["relations"]), _reports(edge), str(edge["strong"]).lower())):
            ET.SubElement(values, "attvalue", {"for": str(j), "value": value})
    return root


def write_network(data: dict[str, Any], path: Path, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    root = graphml(data) if fmt == "graphml" else gexf(data)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
