// Placeholder entry point of @datawarehouse/plugin-dashboard (#13): replaced by the dashboard plugin.
export {};
