// The network page: draw the viewer's graph with Cytoscape.js, expand nodes, colour by community,
// size by centrality, and show a disruption plan with its largest-component curve (Vega-Lite).
// Every number comes from /network/data and /network/plan, built under the viewer's policy.
(function () {
  "use strict";
  var PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#332288", "#117733",
    "#882255", "#44aa99", "#999933", "#aa4499"];
  var box = document.getElementById("cy");
  if (!box) { return; }
  var words = JSON.parse(document.getElementById("network-messages").textContent);
  var status = document.getElementById("graph-status");
  var query = box.dataset.query || "";
  var params = new URLSearchParams(query);
  var centre = params.get("entity");
  var cy = null;

  function say(text, args) {
    return String(text).replace(/\{(\w+)\}/g, function (_m, k) { return args && k in args ? args[k] : ""; });
  }
  // the plural form of a count as the page's language says it (one / other, from the catalog)
  function counted(kind, n) { return say(words.plural[kind][n === 1 ? "one" : "other"], { count: n }); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  function fmt(x, digits) { return x === null || x === undefined ? "—" : Number(x).toFixed(digits === undefined ? 3 : digits); }

  function elements(data) {
    var out = [];
    data.nodes.forEach(function (n) {
      out.push({ group: "nodes", data: { id: n.id, label: n.caption, schema: n.schema, schemaLabel: n.schema_label || n.schema, community: n.community,
        betweenness: n.betweenness || 0, degree: n.degree || 0, eigenvector: n.eigenvector || 0, core: n.core || 0,
        agencies: n.agencies, members: n.members } });
    });
    data.edges.forEach(function (e) {
      out.push({ group: "edges", data: { id: e.source + "|" + e.type + "|" + e.target, source: e.source,
        target: e.target, type: e.type, typeLabel: e.type_label || e.type, weight: e.weight, agencies: e.agencies, first: e.first, last: e.last,
        shared: e.type.indexOf("shared_") === 0 ? 1 : 0 } });
    });
    return out;
  }

  function restyle() {
    if (!cy) { return; }
    var colour = document.getElementById("colour-community").checked;
    var measure = document.getElementById("size-by").value;
    var values = cy.nodes().map(function (n) { return n.data(measure) || 0; });
    var top = Math.max.apply(null, values.concat([0]));
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        var c = n.data("community");
        n.data("color", colour && c !== null && c !== undefined ? PALETTE[c % PALETTE.length] : "#6b7785");
        var v = measure === "none" || top <= 0 ? 0 : (n.data(measure) || 0) / top;
        n.data("size", 18 + 42 * Math.sqrt(v));
      });
    });
  }

  function layout() {
    if (!cy) { return; }
    cy.layout({ name: cy.nodes().length > 300 ? "grid" : "cose", animate: false, randomize: false,
      nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 80; } }).run();
  }

  function fitBudget(data) {
    // The plan targets people: its default is 5 % of them (1 to 25), as the service's default is.
    var people = data.nodes.filter(function (n) { return n.schema === "Person"; }).length;
    var budget = document.getElementById("budget");
    if (!people || !budget) { return; }
    budget.max = String(people);
    if (!budget.value) { budget.value = String(Math.min(people, 25, Math.max(1, Math.ceil(0.05 * people)))); }
  }

  function draw(data) {
    fitBudget(data);
    cy = window.cytoscape({
      container: box,
      elements: elements(data),
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { "background-color": "data(color)", width: "data(size)", height: "data(size)",
          label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 3, color: "#1b1f24",
          "text-outline-color": "#fff", "text-outline-width": 2 } },
        { selector: "node[schema != 'Person']", style: { shape: "round-rectangle" } },
        { selector: "node.centre", style: { "border-width": 4, "border-color": "#10273d" } },
        { selector: "node:selected", style: { "border-width": 4, "border-color": "#f5b700" } },
        { selector: "node.target", style: { "border-width": 5, "border-color": "#a1161c", "border-style": "double" } },
        { selector: "edge", style: { width: "mapData(weight, 1, 10, 1.5, 6)", "line-color": "#8796a5",
          "curve-style": "bezier", opacity: 0.85 } },
        { selector: "edge[shared = 1]", style: { "line-style": "dashed", "line-color": "#b08a2e" } },
        { selector: "edge[type = 'Call']", style: { "line-color": "#0b4f8a" } }
      ]
    });
    window.binationalGraph = cy;
    if (centre) { cy.nodes().filter(function (n) { return n.data("members").indexOf(centre) >= 0; }).addClass("centre"); }
    restyle();
    layout();
    cy.on("tap", "node", function (evt) { show(evt.target); });
    cy.on("dbltap", "node", function (evt) { expand(evt.target.id()); });
    summary(data);
  }

  function summary(data) {
    status.textContent = say(words.summary, { nodes: counted("nodes", cy.nodes().length),
      edges: counted("ties", cy.edges().length),
      modularity: data && data.modularity !== null && data.modularity !== undefined ? fmt(data.modularity, 2) : "—" });
    var body = document.querySelector("#node-table tbody");
    body.textContent = "";
    cy.nodes().sort(function (a, b) { return b.data("betweenness") - a.data("betweenness"); }).forEach(function (n) {
      var pick = el("button", { type: "button", class: "link", text: n.data("label") });
      pick.addEventListener("click", function () { cy.$(":selected").unselect(); n.select(); show(n); });
      body.appendChild(el("tr", {}, [el("td", {}, [pick]), el("td", { text: n.data("schemaLabel") }),
        el("td", { text: String(n.data("community")) }), el("td", { text: String(n.data("degree")) }),
        el("td", { text: fmt(n.data("betweenness")) }), el("td", { text: n.data("agencies").join(", ") })]));
    });
  }

  function show(node) {
    var info = document.getElementById("node-info");
    info.textContent = "";
    var d = node.data();
    info.appendChild(el("h3", { text: d.label }));
    var list = el("dl", { class: "facts" });
    [[words.schema, d.schemaLabel], [words.agencies, d.agencies.join(", ")], [words.members, String(d.members.length)],
      [words.community, String(d.community)], [words.degree, String(d.degree)],
      [words.betweenness, fmt(d.betweenness)], [words.eigenvector, fmt(d.eigenvector)], [words.core, String(d.core)]
    ].forEach(function (pair) { list.appendChild(el("dt", { text: pair[0] })); list.appendChild(el("dd", { text: pair[1] })); });
    info.appendChild(list);
    var more = el("button", { type: "button", text: words.expand });
    more.addEventListener("click", function () { expand(d.id); });
    info.appendChild(more);
    info.appendChild(el("p", {}, [el("a", { href: "/entities/" + encodeURIComponent(d.id), text: words.open_entity })]));
  }

  function scoped(extra) {
    var p = new URLSearchParams(query);
    p.delete("entity"); p.delete("depth");
    Object.keys(extra).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }

  function failed(response) {
    if (response.status === 404) { return Promise.resolve(words.not_found); }
    return response.json().then(function (body) { return body.error || words.failed; },
      function () { return words.failed; });
  }

  function expand(id) {
    status.textContent = words.loading;
    fetch("/network/data?" + scoped({ entity: id, depth: "1" }), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return failed(r).then(function (m) { status.textContent = m; }); }
      return r.json().then(function (data) {
        var fresh = elements(data).filter(function (x) { return cy.getElementById(x.data.id).length === 0; });
        cy.add(fresh);
        restyle();
        layout();
        summary(null);
      });
    });
  }

  function load() {
    // Past the node limit the page opens on its overview: pick a party there to draw its network.
    if (!centre && box.dataset.whole === "false") { status.textContent = words.pick; return; }
    fetch("/network/data?" + query, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return failed(r).then(function (m) { status.textContent = m; }); }
      return r.json().then(function (data) {
        if (!data.nodes.length) { status.textContent = words.empty; return; }
        draw(data);
      });
    }, function () { status.textContent = words.failed; });
  }

  function table(headers, rows) {
    var head = el("tr", {}, headers.map(function (h) { return el("th", { scope: "col", text: h }); }));
    return el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows.map(function (r) {
      return el("tr", {}, r.map(function (c) { return el("td", { text: String(c) }); }));
    }))]);
  }

  function methodLabel(plan, m) { return (plan.method_labels || {})[m] || m; }

  function showPlan(plan) {
    document.getElementById("plan-result").hidden = false;
    document.getElementById("plan-summary").textContent = "";
    document.getElementById("plan-summary").appendChild(el("p", { text: say(words.robustness, {
      method: methodLabel(plan, plan.method), variant: plan.variant, robustness: fmt(plan.robustness), nodes: plan.nodes,
      budget: plan.budget, final: fmt(plan.curve[plan.curve.length - 1]) }) }));
    var targets = document.getElementById("plan-targets");
    targets.textContent = "";
    targets.appendChild(table([words.step, words.target, words.role, words.bridges, words.lcc_after, words.drop],
      plan.targets.map(function (x) {
        return [x.step, x.caption, x.role, x.bridges.join(", ") || "—", fmt(x.lcc_after), fmt(x.drop)];
      })));
    var more = document.getElementById("plan-more");
    more.textContent = "";
    more.appendChild(el("h3", { text: words.compare }));
    more.appendChild(table([words.method, "R", words.final_lcc],
      Object.keys(plan.compare).map(function (m) { return [methodLabel(plan, m), fmt(plan.compare[m].robustness), fmt(plan.compare[m].final_lcc)]; })));
    if (plan.sensitivity) {
      more.appendChild(el("h3", { text: words.sensitivity }));
      var s = plan.sensitivity;
      more.appendChild(el("p", { text: "R " + fmt(s.robustness[0]) + "–" + fmt(s.robustness[1]) + " · " + words.final_lcc +
        " " + fmt(s.final_lcc[0]) + "–" + fmt(s.final_lcc[1]) + " (" + s.runs + ")" }));
    }
    if (plan.notes && plan.notes.length) {
      more.appendChild(el("h3", { text: words.notes }));
      more.appendChild(el("ul", {}, plan.notes.map(function (n) {
        return typeof n === "string" ? el("li", { text: n }) : el("li", { text: n.text, lang: n.lang });
      })));
    }
    if (cy) {
      cy.nodes().removeClass("target");
      plan.targets.forEach(function (x) { cy.getElementById(x.id).addClass("target"); });
    }
    var values = plan.curve.map(function (y, i) { return { removed: i, lcc: y }; });
    if (window.vegaEmbed) {
      window.vegaEmbed("#plan-curve", {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: 320, height: 200, data: { values: values },
        mark: { type: "line", point: true, color: "#a1161c" },
        encoding: {
          x: { field: "removed", type: "quantitative", title: words.removed, axis: { tickMinStep: 1 } },
          y: { field: "lcc", type: "quantitative", title: words.lcc, scale: { domain: [0, 1] } }
        }
        // The page's policy: no eval (ast: Vega's interpreter) and no inline style (no default or tooltip style).
      }, { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false });
    }
  }

  document.getElementById("colour-community").addEventListener("change", restyle);
  document.getElementById("size-by").addEventListener("change", restyle);
  document.getElementById("fit").addEventListener("click", function () { if (cy) { cy.fit(undefined, 30); } });
  document.getElementById("plan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var planStatus = document.getElementById("plan-status");
    planStatus.textContent = words.plan_running;
    fetch("/network/plan", { method: "POST", body: new FormData(event.target), credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { return failed(r).then(function (m) { planStatus.textContent = m; }); }
        return r.json().then(function (plan) { planStatus.textContent = ""; showPlan(plan); });
      }, function () { planStatus.textContent = words.failed; });
  });
  load();
})();
