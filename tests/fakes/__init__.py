"""Local fake platform servers that the real SDKs talk to over real HTTP in tests."""
