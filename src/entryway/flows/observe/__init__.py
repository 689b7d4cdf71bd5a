"""What an operator watches: the metrics port and the readings taken at each scrape."""
