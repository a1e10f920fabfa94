"""Answering clarifying questions: which of a question's rules a candidate is asking about.

semantic    the offline matcher (an embedding model from a wheel, plus the word signal)
model       a chat model picks the rule when OPENAI_API_KEY is set; the offline one is its fallback
embedding   the embedding model itself (ONNX on the CPU)

Either way the answer is the rule's own response or the neutral one (`domain.clarify.Match`).
"""
