"""``python -m robomatrix.nodes <node> [--ros-args ...]``."""

from __future__ import annotations

import sys

from robomatrix.nodes import NODES, main_entry

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.stderr.write(f"usage: python -m robomatrix.nodes <node> [--ros-args ...]; nodes: {', '.join(NODES)}\n")
        sys.exit(2)
    sys.exit(main_entry(sys.argv[1], sys.argv[2:]))
