<?php
class Example {}
