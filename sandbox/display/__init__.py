"""Result display: a finished run as HTML (tables, notes) with server-side SVG charts."""
