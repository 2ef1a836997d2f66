"""Types of the screens keyconsole/tui/screens/__init__.py loads on first use."""

from keyconsole.tui.screens.audit import AuditScreen as AuditScreen
from keyconsole.tui.screens.confirm import ConfirmScreen as ConfirmScreen
from keyconsole.tui.screens.help import HelpScreen as HelpScreen
from keyconsole.tui.screens.key_details import KeyDetailsScreen as KeyDetailsScreen
from keyconsole.tui.screens.key_form import KeyFormScreen as KeyFormScreen
from keyconsole.tui.screens.keys import KeysScreen as KeysScreen
from keyconsole.tui.screens.reveal import RevealKeyScreen as RevealKeyScreen
from keyconsole.tui.screens.rotate import RotateScreen as RotateScreen
from keyconsole.tui.screens.scope_form import ScopeFormScreen as ScopeFormScreen
from keyconsole.tui.screens.scopes import ScopesScreen as ScopesScreen
