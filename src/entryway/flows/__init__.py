"""The customer journeys, one module per task; pages, API and console all call these."""
