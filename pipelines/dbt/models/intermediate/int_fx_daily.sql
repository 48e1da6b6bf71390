with rates as (select * from {{ ref('stg_fx_rates') }})
select rate_date, currency, usd_rate
from rates
qualify row_number() over (partition by rate_date, currency order by usd_rate desc) = 1
