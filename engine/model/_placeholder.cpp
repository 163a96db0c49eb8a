// placeholder so the library exists until its sources land
