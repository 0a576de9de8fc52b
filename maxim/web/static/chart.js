// The link chart: Cytoscape.js over /entities/{id}/graph.json. Expand an entity, filter by link
// type, select a link to list the reports behind it, export PNG. A file, as the CSP requires.
(function () {
  "use strict";

  var app = document.getElementById("chart-app");
  if (!app || typeof window.cytoscape !== "function") {
    return;
  }
  var panel = document.getElementById("chart-panel");
  var expandButton = document.getElementById("chart-expand");
  var typeBox = document.getElementById("chart-types");
  var hiddenTypes = {};
  var expanded = {};
  var colours = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#28a197", "#912b88", "#505a5f"];
  var typeColour = {};

  function colourFor(type) {
    if (!typeColour[type]) {
      typeColour[type] = colours[Object.keys(typeColour).length % colours.length];
    }
    return typeColour[type];
  }

  var cy = window.cytoscape({
    container: document.getElementById("chart"),
    wheelSensitivity: 0.2,
    style: [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-family": "arial, sans-serif",
          "font-size": 11,
          "text-wrap": "wrap",
          "text-max-width": 120,
          "text-valign": "bottom",
          "text-margin-y": 4,
          "background-color": "#505a5f",
          width: 22,
          height: 22,
        },
      },
      { selector: "node[schema = 'Person']", style: { "background-color": "#1d70b8", shape: "ellipse" } },
      { selector: "node[schema = 'Address']", style: { "background-color": "#00703c", shape: "round-rectangle" } },
      { selector: "node[schema = 'Vehicle']", style: { "background-color": "#f47738", shape: "diamond" } },
      { selector: "node[schema = 'PlainText']", style: { "background-color": "#b1b4b6", shape: "rectangle" } },
      { selector: "node[?center]", style: { "border-width": 4, "border-color": "#0b0c0c", width: 32, height: 32 } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffdd00" } },
      {
        selector: "edge",
        style: {
          width: "mapData(weight, 1, 6, 1.5, 6)",
          "line-color": "data(colour)",
          "curve-style": "bezier",
          label: "data(type)",
          "font-size": 9,
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 1,
        },
      },
      { selector: "edge:selected", style: { "line-color": "#ffdd00", width: 6 } },
      { selector: ".hidden-type", style: { display: "none" } },
    ],
  });

  function add(graph) {
    var added = [];
    graph.nodes.forEach(function (n) {
      if (cy.getElementById(n.id).empty()) {
        added.push({ group: "nodes", data: { id: n.id, label: n.label, schema: n.schema, center: n.center, href: n.href } });
      }
    });
    graph.edges.forEach(function (e) {
      if (cy.getElementById(e.id).empty()) {
        added.push({
          group: "edges",
          data: {
            id: e.id, source: e.source, target: e.target, type: e.type, label: e.label,
            reports: e.reports, weight: e.reports.length, colour: colourFor(e.type),
          },
        });
      }
    });
    cy.add(added);
    expanded[graph.center] = true;
    renderTypes();
    applyFilter();
    cy.layout({ name: "cose", animate: false, nodeDimensionsIncludeLabels: true, randomize: false }).run();
    app.setAttribute("data-nodes", String(cy.nodes().length));
    app.setAttribute("data-edges", String(cy.edges().length));
  }

  function load(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("The chart could not be loaded (" + response.status + ")");
        }
        return response.json();
      })
      .then(add)
      .catch(function (error) {
        panel.textContent = error.message;
      });
  }

  function renderTypes() {
    var types = {};
    cy.edges().forEach(function (e) { types[e.data("type")] = true; });
    Object.keys(types).sort().forEach(function (type, i) {
      var id = "chart-type-" + type.replace(/[^A-Za-z0-9_-]/g, "_");
      if (document.getElementById(id)) {
        return;
      }
      var item = document.createElement("div");
      item.className = "govuk-checkboxes__item";
      var input = document.createElement("input");
      input.className = "govuk-checkboxes__input";
      input.type = "checkbox";
      input.id = id;
      input.value = type;
      input.checked = !hiddenTypes[type];
      input.addEventListener("change", function () {
        hiddenTypes[type] = !input.checked;
        applyFilter();
      });
      var label = document.createElement("label");
      label.className = "govuk-label govuk-checkboxes__label";
      label.htmlFor = id;
      label.textContent = type;
      item.appendChild(input);
      item.appendChild(label);
      typeBox.appendChild(item);
    });
  }

  function applyFilter() {
    cy.edges().forEach(function (e) {
      e.toggleClass("hidden-type", !!hiddenTypes[e.data("type")]);
    });
  }

  function showEdge(edge) {
    panel.textContent = "";
    var heading = document.createElement("h2");
    heading.className = "govuk-heading-s";
    heading.textContent = edge.source().data("label") + " – " + edge.data("type") + ": " + edge.data("label") +
      " – " + edge.target().data("label");
    var list = document.createElement("ul");
    list.className = "govuk-list govuk-list--bullet";
    list.setAttribute("data-testid", "edge-reports");
    edge.data("reports").forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "govuk-link";
      a.href = "/reports/" + r.id;
      a.textContent = r.title + " (" + r.originator + " " + r.reference + ")";
      var tag = document.createElement("strong");
      tag.className = "govuk-tag " + (r.grading.indexOf(" C") > 0 ? "govuk-tag--orange" : "govuk-tag--blue");
      tag.textContent = r.grading;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(tag);
      list.appendChild(li);
    });
    panel.appendChild(heading);
    panel.appendChild(list);
  }

  function showNode(node) {
    panel.textContent = "";
    var p = document.createElement("p");
    p.className = "govuk-body";
    var a = document.createElement("a");
    a.className = "govuk-link";
    a.href = node.data("href");
    a.textContent = node.data("label");
    p.appendChild(a);
    p.appendChild(document.createTextNode(" (" + node.data("schema") + ")" + (expanded[node.id()] ? ", expanded" : "")));
    panel.appendChild(p);
  }

  cy.on("select", "node", function (event) {
    expandButton.disabled = !!expanded[event.target.id()];
    expandButton.setAttribute("data-node", event.target.id());
    showNode(event.target);
  });
  cy.on("unselect", "node", function () { expandButton.disabled = true; });
  cy.on("select", "edge", function (event) { showEdge(event.target); });
  cy.on("dbltap", "node", function (event) { expand(event.target.id()); });

  function expand(id) {
    if (!id || expanded[id]) {
      return;
    }
    expandButton.disabled = true;
    load("/entities/" + encodeURIComponent(id) + "/graph.json");
  }

  expandButton.addEventListener("click", function () { expand(expandButton.getAttribute("data-node")); });
  document.getElementById("chart-png").addEventListener("click", function () {
    var blob = cy.png({ output: "blob", full: true, bg: "#ffffff", scale: 2 });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "maxim-" + app.getAttribute("data-center") + ".png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  window.maximChart = { cy: cy, expand: expand };
  load(app.getAttribute("data-graph"));
})();
