# mailroom: one image for the workers, the watchers and the review application.
#   docker build -t mailroom .
FROM python:3.11-slim-bookworm

# Tesseract with French, English and orientation data; poppler and qpdf for PDF repair.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng tesseract-ocr-osd \
      poppler-utils qpdf libgl1 libglib2.0-0 \
      libtesseract-dev libleptonica-dev pkg-config build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 mailroom
WORKDIR /app

COPY pyproject.toml README.md ./
COPY mailroom ./mailroom
COPY ingest ./ingest
COPY extract ./extract
COPY classify ./classify
COPY validate ./validate
COPY storage ./storage
COPY review ./review
COPY samples ./samples
RUN pip install --no-cache-dir --no-binary tesserocr "tesserocr==2.13.0" \
 && pip install --no-cache-dir . \
      "sqlalchemy>=2.0" "alembic>=1.13" "psycopg[binary]>=3.1" "celery[redis]>=5.4" "redis>=5" \
 && pip install --no-cache-dir --no-deps "rapidocr-onnxruntime==1.4.4"

USER mailroom
ENV MAILROOM_STORAGE__DATA_DIR=/var/lib/mailroom \
    OMP_THREAD_LIMIT=1
VOLUME ["/var/lib/mailroom"]
ENTRYPOINT ["mailroom"]
CMD ["worker", "--queues", "ocr,default"]
