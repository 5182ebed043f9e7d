"""Data exchange: 3W/4W imports (CSV, XLSX, HXL), HSDS 3.0 and 3.1 (import and export), HXL and
GeoJSON exports."""
