/* Tasharuk's maps: the official boundaries as the base layer (no tile server needed), then
   the points, lines and area outlines embedded in #map-data. Tiles only when configured
   (TASHARUK_TILES_URL). The view is set before any layer is added: Leaflet cannot draw
   vectors on a map without a view. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var src = document.getElementById("map-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var data = JSON.parse(src.textContent || "{}");
  var labels = data.labels || {};
  var rtl = document.documentElement.dir === "rtl";
  var nameKey = data.locale === "en" ? "name_en" : "name_ar";
  var map = L.map(el, { attributionControl: !!data.tiles, zoomControl: false });
  L.control.zoom({ position: rtl ? "topright" : "topleft",
                   zoomInTitle: labels.zoom_in || "Zoom in",
                   zoomOutTitle: labels.zoom_out || "Zoom out" }).addTo(map);
  var layers = [];
  (data.areas || []).forEach(function (f) {
    layers.push(L.geoJSON(f, { style: { color: "#0b6e4f", weight: 2, fillOpacity: 0.08 } }));
  });
  (data.lines || []).forEach(function (l) {
    layers.push(L.polyline(l, { color: "#b54708", weight: 2, opacity: 0.7 }));
  });
  (data.points || []).forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#0b6e4f", fillOpacity: 0.8 });
    var a = document.createElement("a");
    a.textContent = (p.n ? p.n + ". " : "") + (p.name || "");
    if (p.url) { a.href = p.url; }
    m.bindPopup(a);
    layers.push(m);
  });
  var group = L.featureGroup(layers);
  if (layers.length) { map.fitBounds(group.getBounds().pad(0.2), { maxZoom: 13 }); }
  else { map.fitBounds([[32.3, 35.7], [37.3, 42.4]]); }
  if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 18 }).addTo(map); }
  map.createPane("base").style.zIndex = 350;
  group.addTo(map);
  el.setAttribute("data-ready", "1");

  // The base layer: governorates always, districts from zoom 8, sub-districts from zoom 10;
  // names as labels (governorates) or on hover (the others).
  var minZoom = { 1: 0, 2: 8, 3: 10 };
  var style = { 1: { color: "#555", weight: 1.6, fillOpacity: 0 },
                2: { color: "#777", weight: 1, fillOpacity: 0, dashArray: "4 3" },
                3: { color: "#999", weight: 0.6, fillOpacity: 0 } };
  var base = {};
  function show() {
    Object.keys(base).forEach(function (level) {
      var on = map.getZoom() >= minZoom[level];
      if (on && !map.hasLayer(base[level])) { base[level].addTo(map); }
      if (!on && map.hasLayer(base[level])) { map.removeLayer(base[level]); }
    });
  }
  function load(level) {
    if (!data.basemap || !window.fetch) { return; }
    fetch(data.basemap + level + ".json", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fc) {
        if (!fc) { return; }
        base[level] = L.geoJSON(fc, {
          pane: "base", style: style[level],
          onEachFeature: function (f, layer) {
            var name = f.properties[nameKey] || f.properties.name_ar || "";
            if (level === 1 && f.properties.label) {
              layer.bindTooltip(name, { permanent: true, direction: "center",
                                        className: "area-label", interactive: false });
            } else {
              layer.bindTooltip(name, { sticky: true, className: "area-name" });
            }
          }
        });
        show();
        el.setAttribute("data-base-" + level, String(fc.features.length));
      });
  }
  [1, 2, 3].forEach(load);
  map.on("zoomend", show);

  var chosen = null;
  function choose(e) {
    if (chosen) { chosen.setLatLng(e.latlng); }
    else {
      chosen = L.circleMarker(e.latlng, { radius: 6, color: "#b42318", fillOpacity: 0.9 })
        .bindTooltip(labels.point || "").addTo(map);
    }
  }
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  if (lat && lon) {
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5); lon.value = e.latlng.lng.toFixed(5);
      choose(e);
    });
  }
  var sites = document.getElementById("sites");
  if (sites) {
    map.on("click", function (e) {
      var line = e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5);
      sites.value = (sites.value.trim() ? sites.value.trim() + "\n" : "") + line;
      choose(e);
    });
  }
}());
