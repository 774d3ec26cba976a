/* Area map: a Streamlit component (protocol v1, written by hand: no build step, no CDN).
 *
 * The geometry is fetched once from the app's own static folder (content-addressed JSON written by
 * placebased.webmap.write_geometry) and drawn by Leaflet (served by the app at app/static/leaflet/)
 * on one canvas. Each rerun sends only small arrays (palette index per area, selection, tooltip text,
 * legend, overlays); the areas are restyled in place and the user's pan and zoom are kept.
 *
 * All text from the data is added with textContent / createTextNode: never innerHTML.
 */
(function () {
  "use strict";

  var BASE = (function () {
    var p = window.location.pathname;
    var i = p.indexOf("/component/");
    return window.location.origin + (i >= 0 ? p.slice(0, i) : "") + "/";
  })();
  var LEAFLET = BASE + "app/static/leaflet/";

  // ------------------------------------------------------------------ Streamlit protocol (v1)
  function send(type, data) {
    var msg = Object.assign({ isStreamlitMessage: true, type: type }, data || {});
    window.parent.postMessage(msg, "*");
  }
  function setFrameHeight(h) { send("streamlit:setFrameHeight", { height: h }); }
  function setValue(v) { send("streamlit:setComponentValue", { value: v, dataType: "json" }); }

  // ------------------------------------------------------------------ state
  var map = null, canvas = null, areasGroup = null, layers = [], codes = [], names = [], index = {};
  var geoUrl = null, geoLoading = null, args = null, pendingArgs = null;
  var sel = {};            // code -> true, as shown (server selection + local clicks not yet acknowledged)
  var pending = [];        // [{n, code}] clicks sent but not yet seen by the server
  var clicks = 0;
  var hoverIdx = -1;
  var tipDiv = null, legendCtl = null, provLegendCtl = null, layersCtl = null, statusDiv = null;
  var overlays = {}, overlayKey = null, overlayOn = { provision: true, reach: false, clusters: true, sites: true,
    outlines: true, labels: true };
  var placesUrl = null, placesLoading = null, placeLabels = [], titles = [];  // place names (places.json)
  var labelLayer = null, emphasisLayer = null, emphasisKey = null, focusKey = null, homeCtl = null;
  var patterns = {};
  var legendFolded = false;  // the legend folded to its title (a small screen), kept across reruns
  var lastHeight = 0;
  window.__areamap = { ready: false, renders: 0, styled: 0, lastStyleMs: 0, loadMs: 0 };  // for tests/benchmarks

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function safeColour(c, dflt) {
    return (typeof c === "string" && /^(#[0-9a-fA-F]{3,8}|[a-z]{3,20})$/.test(c)) ? c : dflt;
  }
  function status(text) {
    if (!statusDiv) {
      statusDiv = el("div", "pb-box pb-status");
      document.body.appendChild(statusDiv);
    }
    statusDiv.textContent = text || "";
    statusDiv.style.display = text ? "block" : "none";
  }

  function loadCss(href) {
    var l = document.createElement("link");
    l.rel = "stylesheet"; l.href = href;
    document.head.appendChild(l);
  }
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src; s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }
  var leafletReady = null;
  function ensureLeaflet() {
    if (!leafletReady) {
      loadCss(LEAFLET + "leaflet.css");
      leafletReady = loadScript(LEAFLET + "leaflet.js");
    }
    return leafletReady;
  }

  // ------------------------------------------------------------------ geometry
  function decodeRing(flat, scale) {
    var out = new Array(flat.length / 2), x = 0, y = 0;
    for (var i = 0, j = 0; i < flat.length; i += 2, j++) {
      x += flat[i]; y += flat[i + 1];
      out[j] = L.latLng(y / scale, x / scale);
    }
    return out;
  }

  function viewKey() {  // per map (view_key) and area set; while loading, the args not yet applied name the map
    var a = args || pendingArgs;
    return "areamap-view:" + (a && a.view_key || "") + ":" + geoUrl;
  }

  function buildMap() {
    var div = document.getElementById("map");
    map = L.map(div, { zoomSnap: 0.25, zoomDelta: 0.5, attributionControl: false, preferCanvas: true,
      renderer: L.canvas({ padding: 0.5, tolerance: 2 }) });
    canvas = map.options.renderer;
    L.control.scale({ imperial: false }).addTo(map);
    homeCtl = homeControl();
    homeCtl.addTo(map);
    tipDiv = el("div", "pb-tip");
    div.appendChild(tipDiv);
    map.on("mousemove", function (e) {
      if (tipDiv.style.display === "block") { placeTip(e.containerPoint); }
    });
    map.on("mouseout", hideTip);
    map.on("zoomend", function () { if (provMarkers.length) { resizeBadges(); } });
    map.on("moveend", function () {
      try {
        var c = map.getCenter();
        sessionStorage.setItem(viewKey(), JSON.stringify([c.lat, c.lng, map.getZoom()]));
      } catch (err) { /* storage may be off */ }
    });
  }

  var geoFetch = {};  // url -> the geometry file's JSON, fetched as soon as its URL arrives (while Leaflet loads)
  function fetchGeometry(url) {
    if (!geoFetch[url]) {
      geoFetch[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("the map's areas could not be loaded (" + r.status + ")"); }
        return r.json();
      });
    }
    return geoFetch[url];
  }

  function loadGeometry(url) {
    var t0 = performance.now();
    status("Loading the map…");
    return fetchGeometry(url).then(function (doc) {
      delete geoFetch[url];
      if (areasGroup) { map.removeLayer(areasGroup); }
      layers = []; codes = doc.codes; names = doc.names; index = {};
      var scale = doc.scale;
      for (var i = 0; i < doc.areas.length; i++) {
        var polys = doc.areas[i].map(function (p) {
          return p.map(function (ring) { return decodeRing(ring, scale); });
        });
        var lyr = L.polygon(polys, { renderer: canvas, weight: 0.5, color: "#6b7785", fillOpacity: 0.78,
          fillColor: "#ffffff", smoothFactor: 0.5 });
        lyr._pbIndex = i;
        layers.push(lyr);
        index[codes[i]] = i;
      }
      areasGroup = L.featureGroup(layers);
      areasGroup.on("mouseover", function (e) { hover(e.layer._pbIndex, e.containerPoint); });
      areasGroup.on("mouseout", function (e) { unhover(e.layer._pbIndex); });
      areasGroup.on("click", function (e) { clicked(e.layer._pbIndex, e.originalEvent); });
      areasGroup.addTo(map);
      if (overlays.outlines) { map.removeLayer(overlays.outlines); }
      var lines = (doc.outlines || []).map(function (ln) { return decodeRing(ln, scale); });
      overlays.outlines = lines.length ? L.polyline(lines, { renderer: canvas, interactive: false, color: "#1b3a5c",
        weight: 2.2 }) : null;
      geoUrl = url;
      var saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(viewKey()) || "null"); } catch (err) { saved = null; }
      bbox = doc.bbox;
      var f = pendingArgs && pendingArgs.focus;
      focusKey = null;  // a focus (hot spots) is fitted once the legend is drawn (applyFocus), unless the user's view is kept
      if (saved && saved.length === 3) {
        map.setView([saved[0], saved[1]], saved[2], { animate: false });
        if (f && f.length === 4) { focusKey = JSON.stringify(f); }
      } else {
        fitBox(bbox);
      }
      status("");
      window.__areamap.loadMs = performance.now() - t0;
      window.__areamap.areas = layers.length;
    });
  }

  var bbox = null;
  function fitBox(b, clearLegend) {  // clearLegend: keep the box out from under the legend (bottom right)
    var lg = clearLegend && legendCtl && legendCtl.getContainer && legendCtl.getContainer();
    var tl = [4, 4], br = [4, 4];
    if (lg) {  // beside the legend or above it, whichever leaves more of the map; neither on a small map
      var size = map.getSize(), lw = lg.offsetWidth + 16, lh = lg.offsetHeight + 16;
      var beside = (size.x - lw - 48) * (size.y - 16), above = (size.x - 52) * (size.y - lh - 8);
      tl = [48, 8];
      if (Math.max(beside, above) >= 0.35 * size.x * size.y) { br = beside >= above ? [lw, 8] : [4, lh]; }
    }
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { paddingTopLeft: tl, paddingBottomRight: br, animate: false });
  }

  // ------------------------------------------------------------------ styling
  function pattern(colour) {
    if (patterns[colour]) { return patterns[colour]; }
    var c = document.createElement("canvas");
    c.width = 8; c.height = 8;
    var ctx = c.getContext("2d");
    ctx.fillStyle = colour; ctx.fillRect(0, 0, 8, 8);
    ctx.strokeStyle = "rgba(17,17,17,0.85)"; ctx.lineWidth = 1.6;
    ctx.beginPath(); ctx.moveTo(-2, 10); ctx.lineTo(10, -2); ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
    ctx.moveTo(6, 10); ctx.lineTo(10, 6); ctx.stroke();
    patterns[colour] = canvas._ctx.createPattern(c, "repeat");
    return patterns[colour];
  }

  function fillOf(i) {
    var pal = args.palette || [], f = args.fill || [];
    return safeColour(pal[f[i]], "#ffffff");
  }

  function styleFor(i, hovered) {
    var s = args.style || {};
    var picked = !!sel[codes[i]];
    var fill = fillOf(i);
    return {
      fillColor: picked ? pattern(fill) : fill,
      fillOpacity: picked ? 0.95 : (s.fillOpacity || 0.78),
      color: hovered ? safeColour(s.hover, "#0f7c80") : picked ? safeColour(s.selectedLine, "#111111") :
        safeColour(s.line, "#6b7785"),
      weight: hovered ? 2.5 : picked ? 3 : (s.weight || 0.5)
    };
  }

  function restyleAll() {
    var t0 = performance.now();
    for (var i = 0; i < layers.length; i++) { layers[i].setStyle(styleFor(i, i === hoverIdx)); }
    for (var code in sel) {
      if (sel[code] && index[code] !== undefined) { layers[index[code]].bringToFront(); }
    }
    window.__areamap.lastStyleMs = performance.now() - t0;
    window.__areamap.styled += 1;
  }

  function restyleOne(i) {
    layers[i].setStyle(styleFor(i, i === hoverIdx));
    if (sel[codes[i]] || i === hoverIdx) { layers[i].bringToFront(); }
  }

  function computeSelection() {
    sel = {};
    (args.selected || []).forEach(function (c) { sel[c] = true; });
    var ack = args.ack || 0;
    pending = pending.filter(function (p) { return p.n > ack; });
    pending.forEach(function (p) { if (sel[p.code]) { delete sel[p.code]; } else { sel[p.code] = true; } });
  }

  // ------------------------------------------------------------------ interaction
  function tipText(i) {
    var t = args.tips || {};
    if (t.levels) { return t.levels[t.idx[i]] || ""; }
    return (t.values && t.values[i]) || "";
  }
  function titleOf(i) {  // "West Northamptonshire 032B, in Kingsley ward" when the places file is in
    return (titles.length === codes.length && titles[i]) || names[i] || codes[i];
  }
  function tipBody(i) {  // the tooltip lines, without an "in ... ward" line when the title already says it
    var body = tipText(i);
    var title = titleOf(i);
    if (!body || title === names[i]) { return body; }
    return body.split("\n").filter(function (ln) {
      return !(/^in .+ ward$/.test(ln) && title.indexOf(", " + ln) >= 0);
    }).join("\n");
  }
  function showTip(title, code, body, pt) {
    while (tipDiv.firstChild) { tipDiv.removeChild(tipDiv.firstChild); }
    var head = el("div");
    head.appendChild(el("b", null, title));
    if (code) { head.appendChild(document.createTextNode(" ")); head.appendChild(el("span", "pb-code", code)); }
    tipDiv.appendChild(head);
    if (body) { tipDiv.appendChild(el("div", null, body)); }
    tipDiv.style.display = "block";
    if (pt) { placeTip(pt); }
  }
  function placeTip(pt) {
    var size = map.getSize();
    var w = tipDiv.offsetWidth, h = tipDiv.offsetHeight;
    var x = pt.x + 14, y = pt.y + 14;
    if (x + w > size.x) { x = Math.max(0, pt.x - w - 10); }
    if (y + h > size.y) { y = Math.max(0, pt.y - h - 10); }
    tipDiv.style.left = x + "px"; tipDiv.style.top = y + "px";
  }
  function hideTip() { if (tipDiv) { tipDiv.style.display = "none"; } }

  function hover(i, pt) {
    var prev = hoverIdx;
    hoverIdx = i;
    if (prev >= 0 && prev !== i && layers[prev]) { restyleOne(prev); }
    restyleOne(i);
    showTip(titleOf(i), codes[i], tipBody(i), pt);
  }
  function unhover(i) {
    if (hoverIdx === i) { hoverIdx = -1; }
    if (layers[i]) { restyleOne(i); }
    hideTip();
  }
  function clicked(i, ev) {
    if (!args || args.clickable === false) { return; }
    var code = codes[i];
    clicks += 1;
    var n = Date.now() * 1000 + (clicks % 1000);
    pending.push({ n: n, code: code });
    if (args.toggle !== false) {
      if (sel[code]) { delete sel[code]; } else { sel[code] = true; }
    } else {
      sel = {}; sel[code] = true;
    }
    restyleOne(i);
    window.__areamap.selected = Object.keys(sel);  // drawn now, before the server's rerun (benchmarks)
    var now = performance.now();
    window.__areamap.lastClick = { code: code, at: now, lag: ev && ev.timeStamp ? now - ev.timeStamp : 0 };
    setValue({ code: code, n: n, clicks: pending.slice(-50) });
  }

  // ------------------------------------------------------------------ legend and overlays
  function legendControl() {
    var lg = args.legend || {};
    var box = el("div", "pb-box pb-legend" + (legendFolded ? " pb-folded" : ""));
    var title = el("div", "pb-title", lg.title || "");
    title.setAttribute("role", "button");
    title.setAttribute("tabindex", "0");
    title.title = "Show or hide the legend";
    var fold = function () {
      legendFolded = !legendFolded;
      box.classList.toggle("pb-folded", legendFolded);
    };
    title.addEventListener("click", fold);
    title.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fold(); } });
    box.appendChild(title);
    (lg.items || []).forEach(function (it) {
      var row = el("div", "pb-item");
      var sw = el("span", "pb-swatch");
      sw.style.background = safeColour(it[0], "#cccccc");
      row.appendChild(sw);
      row.appendChild(el("span", null, it[1]));
      box.appendChild(row);
    });
    if (lg.note) { box.appendChild(el("div", "pb-note", lg.note)); }
    var ctl = L.control({ position: "bottomright" });
    ctl.onAdd = function () { L.DomEvent.disableClickPropagation(box); return box; };
    return ctl;
  }

  function badge(text, colour, size) {
    var b = el("span", "pb-badge", text);
    b.style.width = size + "px"; b.style.height = size + "px";
    b.style.background = safeColour(colour, "#cccccc");
    b.style.fontSize = Math.max(8, Math.floor(size / 2) - 1) + "px";
    return b;
  }

  // provision badges: small dots at the county view (the areas stay visible), lettered badges zoomed in
  var provMarkers = [], provSize = 0;
  function badgeSize() { var z = map.getZoom(); return z < 10.5 ? 11 : z < 12 ? 16 : 20; }
  function provIcon(t, size) {
    return L.divIcon({ html: badge(size < 14 ? "" : t[2], t[1], size), className: "", iconSize: [size, size],
      iconAnchor: [size / 2, size / 2] });
  }
  function resizeBadges() {
    var size = badgeSize();
    if (size === provSize) { return; }
    provSize = size;
    provMarkers.forEach(function (mt) { mt[0].setIcon(provIcon(mt[1], size)); });
  }

  function tipOn(layer, title, body) {
    layer.on("mouseover", function (e) { showTip(title, "", body, e.containerPoint); });
    layer.on("mouseout", hideTip);
  }

  function buildOverlays() {
    ["provision", "reach", "clusters", "sites"].forEach(function (k) {
      if (overlays[k]) { map.removeLayer(overlays[k]); overlays[k] = null; }
    });
    if (provLegendCtl) { map.removeControl(provLegendCtl); provLegendCtl = null; }
    provMarkers = [];
    var pv = args.provision;
    if (pv && pv.points && pv.points.length) {
      var g = L.layerGroup(), r = L.layerGroup();
      provSize = badgeSize();
      provMarkers = [];
      pv.points.forEach(function (p) {
        var t = pv.types[p[2]] || ["", "#cccccc", "?"];
        var m = L.marker([p[0], p[1]], { icon: provIcon(t, provSize), keyboard: false, opacity: 0.92 });
        tipOn(m, p[3], t[0]);
        provMarkers.push([m, t]);
        g.addLayer(m);
        if (pv.radius) {
          r.addLayer(L.circle([p[0], p[1]], { radius: pv.radius, color: safeColour(t[1], "#cccccc"), weight: 1,
            fillOpacity: 0.06, interactive: false, renderer: canvas }));
        }
      });
      overlays.provision = g;
      overlays.reach = pv.radius ? r : null;
      var box = el("div", "pb-box");
      box.appendChild(el("b", null, "Provision"));
      pv.types.forEach(function (t) {
        var row = el("div", "pb-item");
        row.style.margin = "1px 0";
        row.appendChild(badge(t[2], t[1], 15));
        row.appendChild(document.createTextNode(" " + t[0]));
        box.appendChild(row);
      });
      provLegendCtl = L.control({ position: "topleft" });
      provLegendCtl.onAdd = function () { return box; };
      provLegendCtl.addTo(map);
    }
    if (args.clusters && args.clusters.length) {
      var cg = L.layerGroup();
      args.clusters.forEach(function (c) {
        var m = L.circleMarker([c[0], c[1]], { radius: c[2], weight: 1, color: "#3b3b3b", fillColor: "#ffd33d",
          fillOpacity: 0.8, renderer: canvas });
        tipOn(m, c[3].toLocaleString("en-GB") + " incidents near here",
          "police.uk points are anonymised map points, not exact locations");
        cg.addLayer(m);
      });
      overlays.clusters = cg;
    }
    if (args.sites && args.sites.length) {
      var sg = L.layerGroup();
      args.sites.forEach(function (s) {
        var m = L.marker([s[0], s[1]], { icon: L.divIcon({ html: badge("\u2605", "#6a3d9a", 22), className: "",
          iconSize: [22, 22], iconAnchor: [11, 11] }), keyboard: false });
        tipOn(m, "Suggested new site", s[2]);
        sg.addLayer(m);
      });
      overlays.sites = sg;
    }
  }

  function layerToggles() {
    var labels = { labels: "Place names", outlines: "Local authority outlines", provision: "Current provision",
      reach: "Provision reach" + (args.provision && args.provision.radius ?
        " (" + Math.round(args.provision.radius).toLocaleString("en-GB") + " m)" : ""),
      clusters: "Incident points (clustered, analyst view)", sites: "Suggested new sites" };
    var box = el("div", "pb-box pb-layers");
    var any = false;
    ["labels", "outlines", "provision", "reach", "clusters", "sites"].forEach(function (k) {
      var lyr = overlays[k];
      if (!lyr || (k === "outlines" && !args.outlines)) { return; }
      any = true;
      var lab = el("label");
      var cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = !!overlayOn[k];
      cb.addEventListener("change", function () { overlayOn[k] = cb.checked; showOverlays(); });
      lab.appendChild(cb);
      lab.appendChild(document.createTextNode(" " + labels[k]));
      box.appendChild(lab);
    });
    if (!any) { return null; }
    var ctl = L.control({ position: "topright" });
    ctl.onAdd = function () { L.DomEvent.disableClickPropagation(box); return box; };
    return ctl;
  }

  function showOverlays() {
    ["labels", "outlines", "reach", "clusters", "provision", "sites"].forEach(function (k) {
      var lyr = overlays[k];
      if (!lyr) { return; }
      var want = overlayOn[k] && (k !== "outlines" || !!args.outlines);
      if (want && !map.hasLayer(lyr)) { lyr.addTo(map); } else if (!want && map.hasLayer(lyr)) { map.removeLayer(lyr); }
    });
    if (overlays.outlines && args.outlines) {
      overlays.outlines.setStyle({ color: safeColour(args.outlines.colour, "#1b3a5c"),
        weight: args.outlines.weight || 2 });
    }
  }

  function toggles() {
    syncPlaces();
    if (layersCtl) { map.removeControl(layersCtl); }
    layersCtl = layerToggles();
    if (layersCtl) { layersCtl.addTo(map); }
    showOverlays();
  }

  // ------------------------------------------------------------------ place names (canvas text, never HTML)
  var TOWN_UNTIL = 12.5;   // below this zoom (the county view) towns come first; wards from their own zoom on
  var MAX_LABELS = 60;

  function loadPlaces(url) {
    if (!url) { return null; }
    var want = new URL(url, BASE).href;
    if (want === placesUrl || (placesLoading && placesLoading.url === want)) { return null; }
    var p = fetch(want, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("place names " + r.status); }
      return r.json();
    }).then(function (doc) {
      if (!placesLoading || placesLoading.url !== want) { return; }
      placeLabels = Array.isArray(doc.labels) ? doc.labels.filter(function (lb) {
        return lb && typeof lb.text === "string" && isFinite(lb.lat) && isFinite(lb.lon);
      }) : [];
      titles = Array.isArray(doc.titles) ? doc.titles.map(function (t) { return String(t || ""); }) : [];
      placesUrl = want;
      window.__areamap.places = placeLabels.length;
      if (map && args && layers.length) { toggles(); drawLabels(); }
    }).catch(function () { placeLabels = []; titles = []; /* place names are a help: the map works without */ });
    placesLoading = { url: want, p: p };
    return p;
  }

  function syncPlaces() {
    if (placeLabels.length && !labelLayer) { labelLayer = makeLabelLayer(); }
    overlays.labels = placeLabels.length ? labelLayer : null;
  }

  function makeLabelLayer() {
    var lyr = new L.Layer();
    lyr.onAdd = function (m) {
      var pane = m.getPane("pbLabels") || m.createPane("pbLabels");
      pane.style.zIndex = 640;  // above the provision badges and the gap outlines: names stay readable
      pane.style.pointerEvents = "none";
      lyr._c = L.DomUtil.create("canvas", "leaflet-zoom-hide pb-labels", pane);
      m.on("moveend zoomend resize viewreset", drawLabels);
      drawLabels();
      return lyr;
    };
    lyr.onRemove = function (m) {
      m.off("moveend zoomend resize viewreset", drawLabels);
      L.DomUtil.remove(lyr._c);
      lyr._c = null;
      window.__areamap.labels = [];
    };
    return lyr;
  }

  function drawLabels() {
    if (!labelLayer || !labelLayer._c || !map) { return; }
    var c = labelLayer._c, size = map.getSize(), dpr = window.devicePixelRatio || 1;
    c.width = Math.round(size.x * dpr); c.height = Math.round(size.y * dpr);
    c.style.width = size.x + "px"; c.style.height = size.y + "px";
    L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
    var ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    var large = document.body.classList.contains("pb-large");
    var z = map.getZoom(), placed = [], drawn = [];
    var townPx = large ? 17 : 14, wardPx = large ? 14 : 12;
    ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.lineJoin = "round";
    var named = {}, zoomedIn = z >= TOWN_UNTIL;
    // the county view: towns first, then the larger wards; zoomed in: the wards first, then the towns (lighter)
    var order = zoomedIn ? placeLabels.filter(function (lb) { return lb.kind !== "town"; })
      .concat(placeLabels.filter(function (lb) { return lb.kind === "town"; })) : placeLabels;
    order.forEach(function (lb) {
      var town = lb.kind === "town";
      if ((!town && z < (lb.min_zoom || 12)) || drawn.length >= MAX_LABELS) { return; }
      if (!town && named[lb.text.toLowerCase()]) { return; }  // a ward named after the town already shown
      var px = town ? townPx : wardPx;
      ctx.font = (town ? "bold " : "italic ") + px + "px sans-serif";
      var p = map.latLngToContainerPoint([lb.lat, lb.lon]);
      var w = ctx.measureText(lb.text).width;
      var box = [p.x - w / 2 - 4, p.y - px / 2 - 3, p.x + w / 2 + 4, p.y + px / 2 + 3];
      if (box[0] < 2 || box[1] < 2 || box[2] > size.x - 2 || box[3] > size.y - 2) { return; }
      for (var k = 0; k < placed.length; k++) {
        var b = placed[k];
        if (!(box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3])) { return; }
      }
      placed.push(box);
      ctx.lineWidth = town ? 4 : 3.5;
      ctx.strokeStyle = "rgba(255,255,255,0.92)";
      ctx.strokeText(lb.text, p.x, p.y);
      ctx.fillStyle = town ? (zoomedIn ? "#5f6b76" : "#111111") : "#24313d";
      ctx.fillText(lb.text, p.x, p.y);
      drawn.push(lb.text);
      named[lb.text.toLowerCase()] = true;
    });
    window.__areamap.labels = drawn;
    window.__areamap.zoom = z;
  }

  // ------------------------------------------------------------------ emphasis, focus, whole-area button
  function applyEmphasis() {
    var list = (args.emphasis || []).filter(function (c) { return index[c] !== undefined; });
    var key = JSON.stringify(list);
    if (key === emphasisKey) { return; }
    emphasisKey = key;
    if (emphasisLayer) { map.removeLayer(emphasisLayer); emphasisLayer = null; }
    if (!list.length) { return; }
    var pane = map.getPane("pbEmphasis") || map.createPane("pbEmphasis");
    pane.style.zIndex = 630;  // above the provision badges (marker pane, 600), under the place names
    pane.style.pointerEvents = "none";
    var r = L.canvas({ pane: "pbEmphasis", padding: 0.5 });
    var g = L.layerGroup();
    list.forEach(function (c) {
      var ll = layers[index[c]].getLatLngs();
      g.addLayer(L.polygon(ll, { renderer: r, interactive: false, fill: false, color: "#ffffff", weight: 5 }));
      g.addLayer(L.polygon(ll, { renderer: r, interactive: false, fill: false, color: "#111111", weight: 2.5 }));
    });
    emphasisLayer = g.addTo(map);
    window.__areamap.emphasis = list.length;
  }

  function applyFocus() {
    var f = args.focus;
    if (!f || f.length !== 4) { return; }
    var key = JSON.stringify(f);
    if (key !== focusKey) { focusKey = key; fitBox(f, true); }
    window.__areamap.focus = f;
  }

  function homeControl() {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var box = el("div", "leaflet-bar pb-home");
      var a = el("a", null, "\u2302");
      a.href = "#"; a.title = "Show all areas"; a.setAttribute("role", "button");
      a.setAttribute("aria-label", "Show all areas");
      a.addEventListener("click", function (e) { e.preventDefault(); if (bbox) { fitBox(bbox); } });
      box.appendChild(a);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return ctl;
  }

  // ------------------------------------------------------------------ render
  function apply() {
    var s = args.style || {};
    document.body.classList.toggle("pb-large", !!s.large);
    computeSelection();
    restyleAll();
    if (legendCtl) { map.removeControl(legendCtl); }
    legendCtl = legendControl();
    legendCtl.addTo(map);
    var key = JSON.stringify([args.provision, args.clusters, args.sites]);
    if (key !== overlayKey) { buildOverlays(); overlayKey = key; }
    toggles();
    applyEmphasis();
    applyFocus();
    window.__areamap.renders += 1;
    window.__areamap.ready = true;
    window.__areamap.selected = Object.keys(sel);
  }

  function render(a) {
    var h = a.height || 600;
    if (h !== lastHeight) {
      document.getElementById("map").style.height = h + "px";
      setFrameHeight(h);
      lastHeight = h;
      if (map) { map.invalidateSize(); }
    }
    pendingArgs = a;
    if (a.geo && !map) { fetchGeometry(new URL(a.geo, BASE).href); }  // the first draw: in parallel with Leaflet
    ensureLeaflet().then(function () {
      if (!map) { buildMap(); }
      loadPlaces(pendingArgs.places);
      var want = new URL(pendingArgs.geo, BASE).href;
      if (want !== geoUrl) {
        if (!geoLoading || geoLoading.url !== want) {
          geoLoading = { url: want, p: loadGeometry(want) };
        }
        return geoLoading.p;
      }
      return null;
    }).then(function () {
      args = pendingArgs;
      if (layers.length) { apply(); }
    }).catch(function (err) {
      status("The map could not be drawn: " + err.message);
    });
  }

  function hitCount(lp) {
    var n = 0;
    for (var j = 0; j < layers.length; j++) {
      if (layers[j]._pxBounds && layers[j]._containsPoint(lp)) { n += 1; }
    }
    return n;
  }

  // a point inside an area (by code or index), in the frame's viewport pixels: for tests and benchmarks
  window.__areamap.pointOf = function (which) {
    var i = typeof which === "number" ? which : index[which];
    if (!layers[i]) { return null; }
    var p = pointIn(i);
    if (!p) {  // too small at this zoom, or out of view: bring it into view
      map.fitBounds(layers[i].getBounds(), { maxZoom: 16, animate: false, padding: [40, 40] });
      p = pointIn(i);
    }
    return p;
  };
  function pointIn(i) {
    var lyr = layers[i];
    var b = lyr.getBounds(), size = map.getSize(), best = null, bestD = Infinity;
    var c = map.latLngToContainerPoint(b.getCenter());
    for (var gx = 1; gx < 16; gx++) {
      for (var gy = 1; gy < 16; gy++) {
        var ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * gy / 16,
          b.getWest() + (b.getEast() - b.getWest()) * gx / 16);
        var cp = map.latLngToContainerPoint(ll);
        if (cp.x < 2 || cp.y < 2 || cp.x > size.x - 2 || cp.y > size.y - 2) { continue; }
        var lp = map.latLngToLayerPoint(ll);
        if (!lyr._containsPoint(lp) || hitCount(lp) !== 1) { continue; }  // clear of every neighbour's edge
        var d = cp.distanceTo(c);
        if (d < bestD) { bestD = d; best = cp; }
      }
    }
    if (!best) { return null; }
    var r = map.getContainer().getBoundingClientRect();
    return { x: r.left + best.x, y: r.top + best.y, code: codes[i] };
  }
  window.__areamap.codes = function () { return codes.slice(); };

  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (!d || d.type !== "streamlit:render" || ev.source !== window.parent) { return; }
    render(d.args || {});
  });
  ensureLeaflet();  // before the first render message: Leaflet loads while the page sends the arguments
  send("streamlit:componentReady", { apiVersion: 1 });
})();
