# SPDX-License-Identifier: Apache-2.0
import sys

from synthfx.cli import main

sys.exit(main())
