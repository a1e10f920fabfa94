# Production image: the app and the worker run from the same image with different commands.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY server server
COPY rooms rooms
COPY domain domain
COPY evaluator evaluator
COPY web web
RUN pip install -c constraints.txt . && useradd --system --create-home rooms
USER rooms
ENV HOST=0.0.0.0 PORT=8000 ENV=production DATA_DIR=/home/rooms/data
EXPOSE 8000
CMD ["interview-rooms", "serve"]
