"""The LLM provider: every ``AIProvider`` operation through Pydantic AI.

Needs an extra per vendor: ``reseller-core[gemini]``, ``[openai]`` (also Ollama, vLLM,
llama.cpp and other OpenAI-compatible servers) or ``[anthropic]``.
"""
