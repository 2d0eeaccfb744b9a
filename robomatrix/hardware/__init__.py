"""Hardware layer: one robot interface, a PyBullet simulation backend and a bridge to real arms."""
