"""Side-by-side benchmark of ns-metadata-proxy against haproxy and nginx (see bench/README.md)."""
