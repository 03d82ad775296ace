"""Templates (email/, web/), gettext catalogs (locale/) and the example config (config.toml) as package
data, so that an installed wheel carries them; found through `webui.shipped.shipped_dir("templates")`."""
