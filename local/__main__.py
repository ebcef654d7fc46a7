"""python -m local [--port 3000]"""

import argparse
import os

from local.server import serve

parser = argparse.ArgumentParser(description="Serve patient-docs locally on an embedded AWS.")
parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
parser.add_argument("--quiet", action="store_true")
args = parser.parse_args()
serve(args.port, args.quiet)
