"""python -m local [--port 3000] [--aws-port 3001]: what ``make run`` runs."""

import argparse
import sys

from local.server import serve
from local.state import api_port, aws_port

parser = argparse.ArgumentParser(description="Serve patient-docs locally on an embedded AWS.")
parser.add_argument("--port", type=int, default=api_port(), help="the API's port (PORT, default 3000)")
parser.add_argument("--aws-port", type=int, default=None, help="the embedded AWS's (LOCAL_AWS_PORT, default port + 1)")
parser.add_argument("--quiet", action="store_true")
args = parser.parse_args()
sys.exit(serve(args.port, args.aws_port if args.aws_port is not None else aws_port(args.port), args.quiet))
