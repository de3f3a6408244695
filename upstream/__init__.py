"""The master-station link over MQTT: store-and-forward, commands, replies."""
