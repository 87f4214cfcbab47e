"""The web page of ``filterql serve``: a filter editor with live diagnostics, the matching
runs, a trace's tree and a thread's traces (needs the ``serve`` extra).

:mod:`.assist` answers the editor's questions; :mod:`.routes` serves them and the page's
files (``static/``: plain HTML, CSS and JavaScript, no build step and nothing from a CDN).
"""
