"""A stand-in for the VCSA appliance shell as root's login shell, for the sshd fixture.

sshd runs it (``ForceCommand``) for every session on the fixture's "appliance shell"
port: a command sent over SSH is refused the way appliancesh refuses it (the reason scp
and ``ssh root@vcsa CMD`` fail on an unchanged VCSA); an interactive login gets the
``Command>`` prompt.
"""

import os
import sys

command = os.environ.get("SSH_ORIGINAL_COMMAND", "")
with open(sys.argv[1], "a") as log:
    log.write((command or "(interactive login)") + "\n")
if command:
    first = command.split()[0] if command.split() else command
    sys.stdout.write(f"Unknown command: `{first}'\n")
    sys.exit(1)
sys.stdout.write("VMware vCenter Server 8.0.2.00100\n\nType: vCenter Server with an embedded "
                 "Platform Services Controller\n\nConnected to service\n\n    * List APIs: "
                 '"help api list"\n    * List Plugins: "help pi list"\n    * Launch BASH: '
                 '"shell"\n\nCommand> ')
sys.stdout.flush()
for line in sys.stdin:
    word = line.strip()
    if word in ("exit", "logout", "quit"):
        break
    if word:
        sys.stdout.write(f"Unknown command: `{word}'\n")
    sys.stdout.write("Command> ")
    sys.stdout.flush()
