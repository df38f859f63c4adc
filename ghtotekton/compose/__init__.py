"""The source side: docker-compose files, as steps of a workflow use them."""
