"""vcfix's playbooks (YAML data), installed as the resource package vcfix.playbooks."""
